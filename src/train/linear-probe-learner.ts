// The linear probe (paper section 3): per trial, a fresh linear classifier, seeded by the trial seed, trained
// on the subset's fixed representations with the run's SGD and schedule (no augmentation: the
// representations are computed once), then scored on every example; with --ensemble, K trials' classifiers at once.
import * as tf from '@tensorflow/tfjs';
import type { Config } from '../config/schema.js';
import type { Dataset } from '../data/types.js';
import { buildLinear } from '../models/linear.js';
import type { Representations } from '../store/representations-file.js';
import type { Learner, Predictions, TrialPlan } from './learner.js';
import { fitPredictNetworks } from './network-trials.js';
import { scheduleFor } from './schedule.js';

export class LinearProbeLearner implements Learner {
  private readonly train: tf.Tensor2D; // [n, dim]
  private readonly test: tf.Tensor2D; // [n', dim]
  private readonly trainLabels: tf.Tensor1D;

  constructor(
    private readonly dataset: Dataset,
    private readonly config: Config,
    private readonly representations: Representations,
  ) {
    const { dim } = representations;
    this.train = tf.tensor2d(representations.train, [representations.train.length / dim, dim]);
    this.test = tf.tensor2d(representations.test, [representations.test.length / dim, dim]);
    this.trainLabels = tf.tensor1d(dataset.train.labels, 'int32');
  }

  fitPredict(plans: readonly TrialPlan[]): Promise<Predictions[]> {
    const { config, dataset } = this;
    const stepsPerEpoch = Math.ceil((plans[0]?.subset.length ?? 0) / config.batchSize);
    return fitPredictNetworks(plans, {
        build: (seed) => buildLinear({ inputDim: this.representations.dim, numClasses: dataset.numClasses, seed, weightDecay: config.weightDecay }),
        trainLabels: this.trainLabels,
        numClasses: dataset.numClasses,
        settings: { epochs: config.epochs, batchSize: config.batchSize, momentum: config.momentum, learningRate: scheduleFor(config, config.epochs, stepsPerEpoch) },
        inputs: (batch) => tf.gather(this.train, tf.tensor1d(batch.all, 'int32')),
        train: { x: this.train, labels: dataset.train.labels },
        test: { x: this.test, labels: dataset.test.labels },
        recordMargins: config.recordMargins,
      });
  }

  dispose(): void {
    this.train.dispose();
    this.test.dispose();
    this.trainLabels.dispose();
  }
}
