// The linear probe (paper section 3): per trial, a fresh linear classifier, seeded by the trial seed, trained
// on the subset's fixed representations with the run's SGD and schedule (no augmentation: the
// representations are computed once), then scored on every example.
import * as tf from '@tensorflow/tfjs';
import type { Config } from '../config/schema.js';
import type { Dataset } from '../data/types.js';
import { buildLinear } from '../models/linear.js';
import type { Representations } from '../store/representations-file.js';
import type { Learner, Predictions, TrialPlan } from './learner.js';
import { scheduleFor } from './schedule.js';
import { fitModel, predictAll } from './sgd.js';

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

  fitPredict(plan: TrialPlan): Promise<Predictions> {
    const { config, dataset } = this;
    const model = buildLinear({ inputDim: this.representations.dim, numClasses: dataset.numClasses, seed: plan.seed, weightDecay: config.weightDecay });
    try {
      const stepsPerEpoch = Math.ceil(plan.subset.length / config.batchSize);
      const settings = { epochs: config.epochs, batchSize: config.batchSize, momentum: config.momentum, learningRate: scheduleFor(config, config.epochs, stepsPerEpoch) };
      fitModel(model, this.trainLabels, dataset.numClasses, plan.subset, plan.seed, settings, (batch) => tf.gather(this.train, tf.tensor1d(batch, 'int32')));
      const train = predictAll(model, this.train, dataset.train.labels);
      const test = predictAll(model, this.test, dataset.test.labels);
      const margins = config.recordMargins ? { trainMargin: train.margins, testMargin: test.margins } : {};
      return Promise.resolve({ train: train.classes, test: test.classes, ...margins });
    } finally {
      model.dispose();
    }
  }

  dispose(): void {
    this.train.dispose();
    this.test.dispose();
    this.trainLabels.dispose();
  }
}
