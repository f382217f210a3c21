// The representations of the paper's section 3: train probeNetwork once on the FULL training set (seeded by
// the run seed alone, with the run's SGD, schedule and augmentation for probeEpochs), then take its
// penultimate layer (the input of the final dense layer: the global-average-pool output of the ResNets
// and the Inception) for every train and test example.
import * as tf from '@tensorflow/tfjs';
import type { Config } from '../config/schema.js';
import type { Dataset } from '../data/types.js';
import { networkEntry } from '../models/registry.js';
import type { Representations } from '../store/representations-file.js';
import { NetworkLearner } from './network-learner.js';
import { representationSeed } from './seeds.js';

const BATCH = 256;

/** Penultimate-layer outputs of `model` for all of `x` ([n, h, w, c]), as [n, dim]. */
async function penultimate(model: tf.LayersModel, x: tf.Tensor4D): Promise<{ dim: number; values: Float32Array }> {
  const last = model.layers[model.layers.length - 1];
  const features = last?.input;
  if (!(features instanceof tf.SymbolicTensor)) throw new Error(`${model.name}: its last layer has no single input to read representations from`);
  // A second view of the same layers, ending one layer early; it owns no weights of its own.
  const extractor = tf.model({ inputs: model.inputs, outputs: features });
  const dim = features.shape.slice(1).reduce<number>((a, b) => a * (b ?? NaN), 1);
  const n = x.shape[0];
  const values = new Float32Array(n * dim);
  for (let start = 0; start < n; start += BATCH) {
    const size = Math.min(BATCH, n - start);
    const out = tf.tidy(() => (extractor.predict(x.slice(start, size)) as tf.Tensor).reshape([size, dim]));
    try {
      values.set(await out.data(), start * dim);
    } finally {
      out.dispose();
    }
  }
  return { dim, values };
}

/** Trains the run's representation network and returns its representations of every example. */
export async function computeRepresentations(dataset: Dataset, config: Config): Promise<Representations> {
  const entry = networkEntry(config.probeNetwork, 'probeNetwork (--probe-network)');
  const learner = new NetworkLearner(dataset, { ...config, model: config.probeNetwork }, entry.build);
  try {
    const everyone = Int32Array.from(dataset.train.labels, (_, i) => i);
    const model = await learner.fit(everyone, representationSeed(config.seed), config.probeEpochs);
    try {
      const train = await penultimate(model, learner.trainImages);
      const test = await penultimate(model, learner.testImages);
      return { dim: train.dim, train: train.values, test: test.values };
    } finally {
      model.dispose();
    }
  } finally {
    learner.dispose();
  }
}
