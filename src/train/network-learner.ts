// Trains a network on one subset with SGD + momentum and the paper's schedule, then predicts every
// example. The data set goes into tensors once per process; each step runs inside tf.tidy, and each
// trial disposes its model and optimizer so the tensor count stays flat across trials.
import * as tf from '@tensorflow/tfjs';
import type { Config } from '../config/schema.js';
import type { Dataset, Split } from '../data/types.js';
import type { NetworkSpec } from '../models/types.js';
import type { Learner, Predictions, TrialPlan } from './learner.js';
import { learningRateAt } from './schedule.js';
import { makeRandom, shuffled } from './seeds.js';

const PREDICT_BATCH = 1024;

/** Per-channel mean and standard deviation of the training images, on the 0..1 scale. */
function channelStatistics(split: Split, channels: number): { mean: number[]; std: number[] } {
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
  private readonly trainImages: tf.Tensor4D;
  private readonly testImages: tf.Tensor4D;
  private readonly trainLabels: tf.Tensor1D;

  constructor(
    private readonly dataset: Dataset,
    private readonly config: Config,
    private readonly build: (spec: NetworkSpec, config: Config) => tf.LayersModel,
  ) {
    const stats = channelStatistics(dataset.train, dataset.imageShape[2]);
    this.trainImages = imagesTensor(dataset.train, dataset.imageShape, stats);
    this.testImages = imagesTensor(dataset.test, dataset.imageShape, stats);
    this.trainLabels = tf.tensor1d(dataset.train.labels, 'int32');
  }

  fitPredict(plan: TrialPlan): Promise<Predictions> {
    const { dataset, config } = this;
    const spec = { inputShape: dataset.imageShape, numClasses: dataset.numClasses, seed: plan.seed, weightDecay: config.weightDecay };
    const model = this.build(spec, config);
    const optimizer = tf.train.momentum(0, config.momentum);
    try {
      this.train(model, optimizer, plan);
      return Promise.resolve({ train: this.predict(model, this.trainImages), test: this.predict(model, this.testImages) });
    } finally {
      model.dispose();
      optimizer.dispose();
      // tfjs 4.22's MomentumOptimizer.dispose() skips SGDOptimizer's learning-rate scalar `c`: one leaked tensor a trial.
      (optimizer as unknown as { c?: tf.Scalar }).c?.dispose();
    }
  }

  private train(model: tf.LayersModel, optimizer: tf.MomentumOptimizer, plan: TrialPlan): void {
    const { epochs, batchSize, learningRate, warmupFraction } = this.config;
    const stepsPerEpoch = Math.ceil(plan.subset.length / batchSize);
    const totalSteps = epochs * stepsPerEpoch;
    const random = makeRandom('memorize', 'order', plan.seed);
    let step = 0;
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = shuffled(plan.subset, random);
      for (let start = 0; start < order.length; start += batchSize, step++) {
        optimizer.setLearningRate(learningRateAt(step, totalSteps, learningRate, warmupFraction));
        const batch = order.subarray(start, start + batchSize);
        tf.tidy(() => {
          const indices = tf.tensor1d(batch, 'int32');
          const x = tf.gather(this.trainImages, indices); // [b, h, w, c]
          const y = tf.oneHot(tf.gather(this.trainLabels, indices), this.dataset.numClasses); // [b, classes]
          optimizer.minimize(() => {
            const logits = model.apply(x, { training: true }) as tf.Tensor2D;
            const loss = tf.losses.softmaxCrossEntropy(y, logits);
            const penalties = model.calculateLosses();
            return (penalties.length > 0 ? tf.addN([loss, ...penalties]) : loss) as tf.Scalar;
          });
        });
      }
    }
  }

  /** Predicted class of every image, in batches. */
  private predict(model: tf.LayersModel, images: tf.Tensor4D): Int32Array {
    const n = images.shape[0];
    const out = new Int32Array(n);
    for (let start = 0; start < n; start += PREDICT_BATCH) {
      const size = Math.min(PREDICT_BATCH, n - start);
      const classes = tf.tidy(() => (model.predict(images.slice(start, size)) as tf.Tensor2D).argMax(1));
      out.set(classes.dataSync(), start);
      classes.dispose();
    }
    return out;
  }

  dispose(): void {
    this.trainImages.dispose();
    this.testImages.dispose();
    this.trainLabels.dispose();
  }
}
