// What each `--model` is, in words: the help text, readable without loading TensorFlow.js (which the
// builders in registry.ts import). The registry takes its descriptions from here.
export const MODEL_DESCRIPTIONS = {
  mlp: 'two hidden relu layers of hiddenUnits on raw pixels',
  cnn: 'small conv net: 2 x (conv3x3 + max-pool), dense hiddenUnits',
  resnet18: 'ResNet18 with the CIFAR stem (3x3/1 conv, no max-pool)',
  resnet50: 'ResNet50 with the CIFAR stem, the paper\'s CIFAR-100 network',
  'inception-small': 'small Inception of Zhang et al. 2017, the paper\'s MNIST network',
  'linear-probe': 'linear classifier on the penultimate layer of probeNetwork, trained once on the full training set',
  knn: '1-nearest-neighbour on raw pixels (Euclidean, ties to the lower index)',
} as const;
