// torchvision's ResNet18 and ResNet50 with the CIFAR stem of Feldman & Zhang (supplement B): the 7x7/2
// convolution and the 3x3/2 max-pool of the ImageNet stem are replaced by one 3x3 stride-1 convolution
// (64 filters, no bias) + batch norm + ReLU. Everything else follows torchvision.models.resnet:
//  - ResNet18: BasicBlock (3x3 -> 3x3, expansion 1), blocks [2, 2, 2, 2];
//  - ResNet50: Bottleneck v1.5 (1x1 -> 3x3 -> 1x1, expansion 4, the stride on the 3x3), blocks [3, 4, 6, 3];
//  - every convolution has no bias and is followed by batch norm (PyTorch's momentum/epsilon);
//  - a projection shortcut (1x1 conv, stride s, + batch norm) wherever stride != 1 or channels change;
//  - global average pooling, then a dense layer to numClasses logits (no softmax).
// Padding follows PyTorch exactly: a 3x3 stride-2 convolution pads 1 pixel on every side (explicit
// zero-padding + 'valid'), not TF's asymmetric 'same', so its taps line up with the 1x1 stride-2 shortcut.
// Initialization as torchvision: convolutions Kaiming-normal, fan_out, gain sqrt(2) (tfjs draws a normal
// truncated at 2 sigma, so the scale is corrected to give the same variance); batch norm gamma 1, beta 0;
// the dense kernel and bias uniform(+-1/sqrt(fan_in)). Every random initializer has its own seed.
// Layer names follow torchvision's parameter names (conv1, bn1, layer2.0.conv1, layer2.0.downsample.0, fc),
// so two builds have the same layer names and weight `originalName`s (`layer2.0.conv1/kernel`; tfjs makes the
// variables' `name` unique per process by suffixing `_1`, `_2`, ...).
import * as tf from '@tensorflow/tfjs';
import { batchNormalization } from './batch-norm.js';
import { BATCH_NORM_DEFAULTS, type BuilderContext, kernelDecay, makeSeeder, single } from './init.js';
import type { NetworkBuilder, NetworkSpec } from './types.js';

/** Variance lost by tfjs's normal initializer, which truncates at two standard deviations. */
const TRUNCATED_NORMAL_STDDEV = 0.8796256610342398;

function conv(
  ctx: BuilderContext,
  x: tf.SymbolicTensor,
  name: string,
  filters: number,
  kernelSize: number,
  stride: number,
): tf.SymbolicTensor {
  let input = x;
  let padding: 'same' | 'valid' = 'same';
  if (kernelSize > 1 && stride > 1) {
    // PyTorch's padding=k//2 on both sides; TF 'same' would pad only bottom/right for even inputs.
    input = single(tf.layers.zeroPadding2d({ padding: Math.floor(kernelSize / 2), name: `${name}.pad` }).apply(x));
    padding = 'valid';
  }
  return single(
    tf.layers
      .conv2d({
        name,
        filters,
        kernelSize,
        strides: stride,
        padding,
        useBias: false,
        kernelInitializer: tf.initializers.varianceScaling({
          scale: 2 / TRUNCATED_NORMAL_STDDEV ** 2,
          mode: 'fanOut',
          distribution: 'normal',
          seed: ctx.nextSeed(),
        }),
        ...ctx.decay,
      })
      .apply(input),
  );
}

function bn(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return single(batchNormalization({ name, axis: -1, ...BATCH_NORM_DEFAULTS }).apply(x));
}

function relu(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return single(tf.layers.reLU({ name }).apply(x));
}

function add(a: tf.SymbolicTensor, b: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return single(tf.layers.add({ name }).apply([a, b]));
}

function channels(x: tf.SymbolicTensor): number {
  const c = x.shape[x.shape.length - 1];
  if (typeof c !== 'number') throw new Error('unknown channel count');
  return c;
}

/** The projection shortcut, or the identity when the block keeps the shape. */
function shortcut(ctx: BuilderContext, x: tf.SymbolicTensor, name: string, outChannels: number, stride: number): tf.SymbolicTensor {
  if (stride === 1 && channels(x) === outChannels) return x;
  return bn(conv(ctx, x, `${name}.downsample.0`, outChannels, 1, stride), `${name}.downsample.1`);
}

/** torchvision BasicBlock (expansion 1). */
function basicBlock(ctx: BuilderContext, x: tf.SymbolicTensor, name: string, planes: number, stride: number): tf.SymbolicTensor {
  let out = relu(bn(conv(ctx, x, `${name}.conv1`, planes, 3, stride), `${name}.bn1`), `${name}.relu1`);
  out = bn(conv(ctx, out, `${name}.conv2`, planes, 3, 1), `${name}.bn2`);
  return relu(add(out, shortcut(ctx, x, name, planes, stride), `${name}.add`), `${name}.relu2`);
}

/** torchvision Bottleneck (v1.5: stride on the 3x3 conv; expansion 4). */
function bottleneck(ctx: BuilderContext, x: tf.SymbolicTensor, name: string, planes: number, stride: number): tf.SymbolicTensor {
  let out = relu(bn(conv(ctx, x, `${name}.conv1`, planes, 1, 1), `${name}.bn1`), `${name}.relu1`);
  out = relu(bn(conv(ctx, out, `${name}.conv2`, planes, 3, stride), `${name}.bn2`), `${name}.relu2`);
  out = bn(conv(ctx, out, `${name}.conv3`, planes * 4, 1, 1), `${name}.bn3`);
  return relu(add(out, shortcut(ctx, x, name, planes * 4, stride), `${name}.add`), `${name}.relu3`);
}

type Block = (ctx: BuilderContext, x: tf.SymbolicTensor, name: string, planes: number, stride: number) => tf.SymbolicTensor;

function buildResnet(spec: NetworkSpec, block: Block, layers: readonly number[], modelName: string): tf.LayersModel {
  const ctx: BuilderContext = { nextSeed: makeSeeder(spec.seed), decay: kernelDecay(spec.weightDecay) };
  const input = tf.input({ shape: [...spec.inputShape], name: 'input' });
  // CIFAR stem: one 3x3 stride-1 conv + BN + ReLU instead of 7x7/2 conv + 3x3/2 max-pool.
  let x = relu(bn(conv(ctx, input, 'conv1', 64, 3, 1), 'bn1'), 'relu');
  layers.forEach((count, stage) => {
    const planes = 64 * 2 ** stage;
    for (let i = 0; i < count; i++) {
      x = block(ctx, x, `layer${stage + 1}.${i}`, planes, i === 0 && stage > 0 ? 2 : 1);
    }
  });
  x = single(tf.layers.globalAveragePooling2d({ name: 'avgpool' }).apply(x));
  const fanIn = channels(x);
  const bound = 1 / Math.sqrt(fanIn);
  const logits = single(
    tf.layers
      .dense({
        name: 'fc',
        units: spec.numClasses,
        // PyTorch nn.Linear: kaiming_uniform(a=sqrt(5)) = uniform(+-1/sqrt(fan_in)), bias likewise.
        kernelInitializer: tf.initializers.varianceScaling({
          scale: 1 / 3,
          mode: 'fanIn',
          distribution: 'uniform',
          seed: ctx.nextSeed(),
        }),
        biasInitializer: tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed: ctx.nextSeed() }),
        ...ctx.decay,
      })
      .apply(x),
  );
  return tf.model({ inputs: input, outputs: logits, name: modelName });
}

/** torchvision ResNet18 (BasicBlock, [2, 2, 2, 2]) with the paper's CIFAR stem. */
export const buildResnet18: NetworkBuilder = (spec) => buildResnet(spec, basicBlock, [2, 2, 2, 2], 'resnet18');

/** torchvision ResNet50 (Bottleneck v1.5, [3, 4, 6, 3]) with the paper's CIFAR stem. */
export const buildResnet50: NetworkBuilder = (spec) => buildResnet(spec, bottleneck, [3, 4, 6, 3], 'resnet50');
