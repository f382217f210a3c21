// Trains a network on one subset with SGD + momentum and the configured schedule, then predicts every
// example. The data set goes into tensors once per process; with crop-flip, training batches are instead
// augmented from the uint8 images in JS (reused buffers), one float32 tensor per step. Each trial disposes
// its model, so the tensor count stays flat across trials.
import * as tf from '@tensorflow/tfjs';
import type { Config } from '../config/schema.js';
import type { Dataset, Split } from '../data/types.js';
import { UsageError } from '../errors.js';
import type { NetworkSpec } from '../models/types.js';
import { BatchAugmenter } from './augment.js';
import type { Learner, Predictions, TrialPlan } from './learner.js';
import { scheduleFor } from './schedule.js';
import { fitModel, predictAll } from './sgd.js';
import { makeRandom } from './seeds.js';

/** Per-channel mean and standard deviation of the training images, on the 0..1 scale. */
export function channelStatistics(split: Split, channels: number): { mean: number[]; std: number[] } {
  const sum = new Float64Array(channels);
  const sumSquares = new Float64Array(channels);
  const { images } = split;
  for (let p = 0; p < images.length; p++) {
    const v = images[p]! / 255;
    sum[p % channels]! += v;
    sumSquares[p % channels]! += v * v;
  }
  const count = images.length / channels;
  const mean = Array.from(sum, (s) => s / count);
  const std = Array.from(sumSquares, (s, c) => Math.sqrt(Math.max(s / count - mean[c]! ** 2, 1e-12)));
  return { mean, std };
}

/** Normalized float32 images [n, h, w, c]. */
function imagesTensor(split: Split, shape: [number, number, number], stats: { mean: number[]; std: number[] }): tf.Tensor4D {
  const n = split.labels.length;
  return tf.tidy(() => {
    const raw = tf.tensor4d(split.images, [n, ...shape], 'int32').toFloat().div(255);
    return raw.sub(tf.tensor1d(stats.mean)).div(tf.tensor1d(stats.std));
  });
}

export class NetworkLearner implements Learner {
  readonly trainImages: tf.Tensor4D;
  readonly testImages: tf.Tensor4D;
  private readonly trainLabels: tf.Tensor1D;
  private readonly augmenter: BatchAugmenter | undefined;

  constructor(
    private readonly dataset: Dataset,
    private readonly config: Config,
    private readonly build: (spec: NetworkSpec, config: Config) => tf.LayersModel,
  ) {
    const stats = channelStatistics(dataset.train, dataset.imageShape[2]);
    this.trainImages = imagesTensor(dataset.train, dataset.imageShape, stats);
    this.testImages = imagesTensor(dataset.test, dataset.imageShape, stats);
    this.trainLabels = tf.tensor1d(dataset.train.labels, 'int32');
    if (config.augment === 'crop-flip') {
      this.augmenter = new BatchAugmenter(dataset.train.images, dataset.imageShape, config.cropPadding, stats, config.batchSize);
    }
  }

  fitPredict(plan: TrialPlan): Promise<Predictions> {
    const model = this.fit(plan.subset, plan.seed, this.config.epochs);
    try {
      const train = predictAll(model, this.trainImages, this.dataset.train.labels);
      const test = predictAll(model, this.testImages, this.dataset.test.labels);
      const margins = this.config.recordMargins ? { trainMargin: train.margins, testMargin: test.margins } : {};
      return Promise.resolve({ train: train.classes, test: test.classes, ...margins });
    } finally {
      model.dispose();
    }
  }

  /** A fresh network (initialized from `seed`) trained for `epochs` on training examples `indices`; the caller disposes it. */
  fit(indices: Int32Array, seed: number, epochs: number): tf.LayersModel {
    const { dataset, config } = this;
    const spec = { inputShape: dataset.imageShape, numClasses: dataset.numClasses, seed, weightDecay: config.weightDecay };
    const model = this.build(spec, config);
    const stepsPerEpoch = Math.ceil(indices.length / config.batchSize);
    const settings = { epochs, batchSize: config.batchSize, momentum: config.momentum, learningRate: scheduleFor(config, epochs, stepsPerEpoch) };
    try {
      fitModel(model, this.trainLabels, dataset.numClasses, indices, seed, settings, (batch, step) => this.inputs(batch, step, seed));
    } catch (error) {
      if (error instanceof WebAssembly.RuntimeError && tf.getBackend() === 'wasm') {
        // wasm aborts when a malloc fails; its heap is gone with it, so there is nothing left to dispose.
        const [h, w, c] = dataset.imageShape;
        throw new UsageError(
          `the wasm backend aborted, most likely out of its 4 GiB of memory, training ${config.model} on batches of up to ${config.batchSize} ` +
            `${h}x${w}x${c} images; lower --batch-size (ResNet50 on 32x32 images fits 8) or use a GPU backend`,
        );
      }
      model.dispose();
      throw error;
    }
    return model;
  }

  /** Training inputs of one step [b, h, w, c]: gathered from the tensor, or augmented (draws from (seed, step)). */
  private inputs(batch: Int32Array, step: number, seed: number): tf.Tensor {
    if (!this.augmenter) return tf.gather(this.trainImages, tf.tensor1d(batch, 'int32'));
    const pixels = this.augmenter.batch(batch, makeRandom('memorize', 'augment', seed, step));
    return tf.tensor4d(pixels, [batch.length, ...this.dataset.imageShape], 'float32');
  }

  dispose(): void {
    this.trainImages.dispose();
    this.testImages.dispose();
    this.trainLabels.dispose();
  }
}
