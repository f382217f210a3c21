// Trains a network per trial on its subset with SGD + momentum and the configured schedule (a group of
// trials together with --ensemble), then predicts every example. The data set goes into tensors once per
// process; with crop-flip, training batches are instead augmented from the uint8 images in JS (reused
// buffers), one float32 tensor per step. Each group disposes its networks: the tensor count stays flat.
import * as tf from '@tensorflow/tfjs';
import type { Config } from '../config/schema.js';
import type { Dataset, Split } from '../data/types.js';
import { UsageError } from '../errors.js';
import { ensembleSize } from '../models/registry.js';
import type { NetworkSpec } from '../models/types.js';
import { BatchAugmenter } from './augment.js';
import type { Learner, Predictions, TrialPlan } from './learner.js';
import { SingleNetwork } from './networks.js';
import { fitPredictNetworks } from './network-trials.js';
import { scheduleFor } from './schedule.js';
import { fitNetworks, type FitSettings, type StepBatch } from './sgd.js';
import { makeRandom } from './seeds.js';
import { trainingHooks } from './training-hooks.js';

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
      const rows = config.batchSize * ensembleSize(config); // one step of a whole ensemble
      this.augmenter = new BatchAugmenter(dataset.train.images, dataset.imageShape, config.cropPadding, stats, rows);
    }
  }

  fitPredict(plans: readonly TrialPlan[]): Promise<Predictions[]> {
    const { dataset, config } = this;
    const setup = {
      build: (seed: number) => this.network(seed),
      trainLabels: this.trainLabels,
      numClasses: dataset.numClasses,
      settings: this.settings(plans[0]?.subset.length ?? 0, config.epochs),
      inputs: (batch: StepBatch, step: number, seeds: readonly number[]) => this.inputs(batch, step, seeds),
      train: { x: this.trainImages, labels: dataset.train.labels },
      test: { x: this.testImages, labels: dataset.test.labels },
      recordMargins: config.recordMargins,
    };
    return this.explainWasmAbort(plans.length, () => fitPredictNetworks(plans, setup));
  }

  /** A fresh network (initialized from `seed`) trained for `epochs` on training examples `indices`; the caller disposes it. */
  async fit(indices: Int32Array, seed: number, epochs: number): Promise<tf.LayersModel> {
    const network = new SingleNetwork(this.network(seed));
    const settings = this.settings(indices.length, epochs);
    try {
      await this.explainWasmAbort(1, () => fitNetworks(network, this.trainLabels, this.dataset.numClasses, [{ indices, seed }], settings, (batch, step) => this.inputs(batch, step, [seed])));
    } catch (error) {
      if (!(error instanceof UsageError)) network.dispose(); // after a wasm abort there is nothing left to dispose
      throw error;
    }
    return network.model;
  }

  private network(seed: number): tf.LayersModel {
    const { dataset, config } = this;
    return this.build({ inputShape: dataset.imageShape, numClasses: dataset.numClasses, seed, weightDecay: config.weightDecay }, config);
  }

  private settings(examples: number, epochs: number): FitSettings {
    const { config } = this;
    const stepsPerEpoch = Math.ceil(examples / config.batchSize);
    return { epochs, batchSize: config.batchSize, momentum: config.momentum, learningRate: scheduleFor(config, epochs, stepsPerEpoch), ...trainingHooks() };
  }

  /** Runs `train`, turning wasm's abort (a failed malloc: its heap is gone with it) into a UsageError that says what to lower. */
  private async explainWasmAbort<T>(models: number, train: () => T | Promise<T>): Promise<T> {
    try {
      return await train();
    } catch (error) {
      if (!(error instanceof WebAssembly.RuntimeError && tf.getBackend() === 'wasm')) throw error;
      const { config } = this;
      const [h, w, c] = this.dataset.imageShape;
      const ensemble = models > 1 ? ` for each of ${models} models trained together (--ensemble)` : '';
      throw new UsageError(
        `the wasm backend aborted, most likely out of its 4 GiB of memory, training ${config.model} on batches of up to ${config.batchSize} ` +
          `${h}x${w}x${c} images${ensemble}; lower --batch-size${models > 1 ? ' or --ensemble' : ''} (ResNet50 on 32x32 images fits 8) or use a GPU backend`,
      );
    }
  }

  /** Training inputs of one step [K * b, h, w, c]: gathered from the tensor, or augmented (network k's draws from (seeds[k], step)). */
  private inputs(batch: StepBatch, step: number, seeds: readonly number[]): tf.Tensor {
    if (!this.augmenter) return tf.gather(this.trainImages, tf.tensor1d(batch.all, 'int32'));
    const pixels = this.augmenter.batches(batch.perNetwork.map((indices, k) => ({ indices, random: makeRandom('memorize', 'augment', seeds[k]!, step) })));
    return tf.tensor4d(pixels, [batch.all.length, ...this.dataset.imageShape], 'float32');
  }

  dispose(): void {
    this.trainImages.dispose();
    this.testImages.dispose();
    this.trainLabels.dispose();
  }
}
