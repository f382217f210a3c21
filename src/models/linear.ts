// The linear classifier of the paper's section 3: one dense layer from a fixed representation to logits,
// initialized like PyTorch's nn.Linear (as the ResNets' fc layer is).
import * as tf from '@tensorflow/tfjs';
import { kernelDecay, makeSeeder } from './init.js';

export interface LinearSpec {
  inputDim: number; // length of one representation vector
  numClasses: number;
  seed: number; // non-zero; the kernel and the bias each get their own seed from it
  weightDecay: number; // an l2 penalty of weightDecay / 2 on the kernel
}

/** dense(numClasses) on [batch, inputDim] inputs, returning logits. */
export function buildLinear(spec: LinearSpec): tf.LayersModel {
  const nextSeed = makeSeeder(spec.seed);
  const bound = 1 / Math.sqrt(spec.inputDim);
  const model = tf.sequential({ name: 'linear' });
  model.add(
    tf.layers.dense({
      name: 'fc',
      inputShape: [spec.inputDim],
      units: spec.numClasses,
      // kaiming_uniform(a=sqrt(5)) = uniform(+-1/sqrt(fan_in)); bias likewise.
      kernelInitializer: tf.initializers.varianceScaling({ scale: 1 / 3, mode: 'fanIn', distribution: 'uniform', seed: nextSeed() }),
      biasInitializer: tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed: nextSeed() }),
      ...kernelDecay(spec.weightDecay),
    }),
  );
  return model;
}
