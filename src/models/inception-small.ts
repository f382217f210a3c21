// The "small Inception" of Zhang, Bengio, Hardt, Recht & Vinyals, "Understanding deep learning requires
// rethinking generalization" (ICLR 2017), Appendix A, Fig. 3 (their CIFAR-10 network), which Feldman & Zhang
// (supplement B) use for MNIST. Built from the paper's description:
//   conv 3x3x96 /1 -> Inception(32,32) -> Inception(32,48) -> Downsample(80)
//   -> Inception(112,48) -> Inception(96,64) -> Inception(80,80) -> Inception(48,96) -> Downsample(96)
//   -> Inception(176,160) -> Inception(176,160) -> mean pooling -> fc -> (softmax)
// "Conv module" = conv (no bias) + batch norm (PyTorch's momentum/epsilon) + ReLU.
// "Inception(C1, C3)" = channel concat of a 1x1 conv module (C1 filters) and a 3x3 conv module (C3 filters).
// "Downsample(C)" = channel concat of a 3x3 stride-2 conv module (C filters) and a 3x3 stride-2 max-pool.
// Padding choices (the figure does not give them): the stem and the Inception convolutions use 'same'
// padding (stride 1, so symmetric, 1 pixel for 3x3); both branches of a Downsample module use 'valid'
// padding, so their outputs have equal size: 32 -> 15 -> 7 on CIFAR (the figure's 7x7 mean pooling) and
// 28 -> 13 -> 6 on MNIST. Mean pooling is a global average pool, so any input of at least 28x28 works.
// The builder returns logits; the softmax lives in the loss.
// Parameter count (32x32x3, 10 classes, PyTorch-style: conv kernels + BN gamma/beta + fc, no running stats):
// 1,651,114. Zhang et al. report 1,649,402 = exactly this minus one parameter per BN channel (1,712), i.e.
// their batch norm had no learned scale (TF-slim's default scale=False); we keep gamma, like PyTorch ports.
// Initialization: He-normal convolution kernels, Glorot-uniform dense kernel, each with its own seed.
// Layer names are stable (stem.conv, inc1.b3.bn, down1.pool, fc, ...), so two builds match by name.
import * as tf from '@tensorflow/tfjs';
import { batchNormalization } from './batch-norm.js';
import { BATCH_NORM_DEFAULTS, type BuilderContext, glorotUniform, heNormal, kernelDecay, makeSeeder, single } from './init.js';
import type { NetworkBuilder } from './types.js';

/** Conv module: conv (no bias) + batch norm + ReLU. */
function convModule(
  ctx: BuilderContext,
  x: tf.SymbolicTensor,
  name: string,
  filters: number,
  kernelSize: number,
  stride: number,
  padding: 'same' | 'valid',
): tf.SymbolicTensor {
  const conv = tf.layers.conv2d({
    name: `${name}.conv`,
    filters,
    kernelSize,
    strides: stride,
    padding,
    useBias: false,
    kernelInitializer: heNormal(ctx.nextSeed),
    ...ctx.decay,
  });
  const bn = batchNormalization({ name: `${name}.bn`, axis: -1, ...BATCH_NORM_DEFAULTS });
  const relu = tf.layers.reLU({ name: `${name}.relu` });
  return single(relu.apply(single(bn.apply(single(conv.apply(x))))));
}

function concat(xs: tf.SymbolicTensor[], name: string): tf.SymbolicTensor {
  return single(tf.layers.concatenate({ name, axis: -1 }).apply(xs));
}

function inception(ctx: BuilderContext, x: tf.SymbolicTensor, name: string, c1: number, c3: number): tf.SymbolicTensor {
  const b1 = convModule(ctx, x, `${name}.b1`, c1, 1, 1, 'same');
  const b3 = convModule(ctx, x, `${name}.b3`, c3, 3, 1, 'same');
  return concat([b1, b3], `${name}.concat`);
}

function downsample(ctx: BuilderContext, x: tf.SymbolicTensor, name: string, c: number): tf.SymbolicTensor {
  const conv = convModule(ctx, x, `${name}.b3`, c, 3, 2, 'valid');
  const pool = single(tf.layers.maxPooling2d({ name: `${name}.pool`, poolSize: 3, strides: 2, padding: 'valid' }).apply(x));
  return concat([conv, pool], `${name}.concat`);
}

/** Zhang et al. (2017)'s small Inception, returning logits. */
export const buildInceptionSmall: NetworkBuilder = (spec) => {
  const ctx: BuilderContext = { nextSeed: makeSeeder(spec.seed), decay: kernelDecay(spec.weightDecay) };
  const input = tf.input({ shape: [...spec.inputShape], name: 'input' });
  let x = convModule(ctx, input, 'stem', 96, 3, 1, 'same');
  x = inception(ctx, x, 'inc1', 32, 32);
  x = inception(ctx, x, 'inc2', 32, 48);
  x = downsample(ctx, x, 'down1', 80);
  x = inception(ctx, x, 'inc3', 112, 48);
  x = inception(ctx, x, 'inc4', 96, 64);
  x = inception(ctx, x, 'inc5', 80, 80);
  x = inception(ctx, x, 'inc6', 48, 96);
  x = downsample(ctx, x, 'down2', 96);
  x = inception(ctx, x, 'inc7', 176, 160);
  x = inception(ctx, x, 'inc8', 176, 160);
  x = single(tf.layers.globalAveragePooling2d({ name: 'avgpool' }).apply(x));
  const logits = single(
    tf.layers
      .dense({
        name: 'fc',
        units: spec.numClasses,
        kernelInitializer: glorotUniform(ctx.nextSeed),
        biasInitializer: 'zeros',
        ...ctx.decay,
      })
      .apply(x),
  );
  return tf.model({ inputs: input, outputs: logits, name: 'inception_small' });
};
