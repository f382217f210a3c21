// A two-hidden-layer perceptron on raw pixels: fast on any backend, and it memorizes.
import * as tf from '@tensorflow/tfjs';
import { glorotUniform, heNormal, makeSeeder, kernelDecay } from './init.js';
import type { NetworkSpec } from './types.js';

/** Flatten -> dense(hiddenUnits, relu) x 2 -> dense(numClasses) logits. */
export function buildMlp(spec: NetworkSpec, hiddenUnits: number): tf.LayersModel {
  const nextSeed = makeSeeder(spec.seed);
  const decay = kernelDecay(spec.weightDecay);
  const model = tf.sequential({ name: 'mlp' });
  model.add(tf.layers.flatten({ inputShape: spec.inputShape }));
  for (let layer = 0; layer < 2; layer++) {
    model.add(tf.layers.dense({ units: hiddenUnits, activation: 'relu', kernelInitializer: heNormal(nextSeed), ...decay }));
  }
  model.add(tf.layers.dense({ units: spec.numClasses, kernelInitializer: glorotUniform(nextSeed), ...decay }));
  return model;
}
