// Human-readable class names of the data sets memorize reads, in label order (the published orders of
// CIFAR-10's batches.meta.txt, CIFAR-100's fine_label_names.txt and Fashion-MNIST's README).

const CIFAR10 = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const CIFAR100 = `apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus butterfly camel can castle
caterpillar cattle chair chimpanzee clock cloud cockroach couch crab crocodile cup dinosaur dolphin elephant flatfish forest fox girl
hamster house kangaroo keyboard lamp lawn_mower leopard lion lizard lobster man maple_tree motorcycle mountain mouse mushroom oak_tree
orange orchid otter palm_tree pear pickup_truck pine_tree plain plate poppy porcupine possum rabbit raccoon ray road rocket rose sea seal
shark shrew skunk skyscraper snail snake spider squirrel streetcar sunflower sweet_pepper table tank telephone television tiger tractor
train trout tulip turtle wardrobe whale willow_tree wolf woman worm`.split(/\s+/);
const FASHION_MNIST = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const MNIST = Array.from({ length: 10 }, (_, digit) => `digit ${digit}`);

const NAMES: Record<string, string[]> = { cifar10: CIFAR10, cifar100: CIFAR100, 'fashion-mnist': FASHION_MNIST, mnist: MNIST };

/** Names of classes 0..numClasses-1: the data set's own, else "class c". */
export function classNames(dataset: string, numClasses: number): string[] {
  const known = NAMES[dataset];
  return Array.from({ length: numClasses }, (_, c) => (known?.length === numClasses ? `${c}: ${known[c]!}` : `class ${c}`));
}
