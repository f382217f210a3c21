// A small conv net: two 3x3 conv + max-pool stages and one hidden dense layer. The reference
// architecture of the CPU benchmarks (scripts/bench-train) and the default for real image data on CPUs.
import * as tf from '@tensorflow/tfjs';
import { glorotUniform, heNormal, makeSeeder, kernelDecay } from './init.js';
import type { NetworkSpec } from './types.js';

/** conv3x3(32) relu, maxpool 2 -> conv3x3(64) relu, maxpool 2 -> dense(hiddenUnits) relu -> dense(numClasses). */
export function buildCnn(spec: NetworkSpec, hiddenUnits: number): tf.LayersModel {
  const nextSeed = makeSeeder(spec.seed);
  const decay = kernelDecay(spec.weightDecay);
  const conv = (filters: number): tf.layers.Layer =>
    tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: heNormal(nextSeed), ...decay });
  const model = tf.sequential({ name: 'cnn' });
  model.add(tf.layers.inputLayer({ inputShape: spec.inputShape }));
  model.add(conv(32));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(conv(64));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: hiddenUnits, activation: 'relu', kernelInitializer: heNormal(nextSeed), ...decay }));
  model.add(tf.layers.dense({ units: spec.numClasses, kernelInitializer: glorotUniform(nextSeed), ...decay }));
  return model;
}
