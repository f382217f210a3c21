// A learner is what a trial trains: it is set up once per process (data in tensors, neighbour lists)
// and then fits one subset and predicts every train and test example, once per trial. Learners: networks,
// the linear probe on fixed representations, 1-nearest-neighbour, and an external trainer program.
import type { Config } from '../config/schema.js';
import type { Dataset } from '../data/types.js';
import { modelEntry } from '../models/registry.js';
import { NearestNeighbourIndex } from '../models/knn.js';
import type { Representations } from '../store/representations-file.js';
import { ExternalLearner, type TrainerPaths } from './external-learner.js';
import { LinearProbeLearner } from './linear-probe-learner.js';
import { NetworkLearner } from './network-learner.js';
import { computeRepresentations } from './representations.js';

/** What a trial trains on. */
export interface TrialPlan {
  trial: number; // k
  seed: number; // trial seed, from (run seed, k)
  subset: Int32Array; // I_k, sorted training indices
  inSubset: Uint8Array; // [n], 1 where i is in I_k
}

/** Predicted classes of all n train and n' test examples, and optionally their margins. */
export interface Predictions {
  train: Int32Array;
  test: Int32Array;
  trainMargin?: Float32Array; // correct-class logit minus the best other logit
  testMargin?: Float32Array;
}

export interface Learner {
  /** Fits and predicts a group of trials (one, or config.ensemble trained together); results in plan order. */
  fitPredict(plans: readonly TrialPlan[]): Promise<Predictions[]>;
  dispose(): void;
}

class NearestNeighbourLearner implements Learner {
  private readonly index: NearestNeighbourIndex;
  private readonly n: number;

  constructor(dataset: Dataset) {
    const [h, w, c] = dataset.imageShape;
    const queries = new Uint8Array(dataset.train.images.length + dataset.test.images.length);
    queries.set(dataset.train.images);
    queries.set(dataset.test.images, dataset.train.images.length);
    this.n = dataset.train.labels.length;
    this.index = new NearestNeighbourIndex(dataset.train.images, dataset.train.labels, queries, h * w * c);
  }

  fitPredict(plans: readonly TrialPlan[]): Promise<Predictions[]> {
    return Promise.resolve(
      plans.map((plan) => {
        const all = this.index.predict(plan.inSubset, plan.subset);
        return { train: all.subarray(0, this.n), test: all.subarray(this.n) };
      }),
    );
  }

  dispose(): void {}
}

/** Sets up the configured model's learner over the data set (the TensorFlow.js backend must be ready, except
 * for an external trainer, which runs in `trainerPaths`). The linear probe uses `representations` when given
 * (the run's stored ones), else computes them here. */
export async function createLearner(dataset: Dataset, config: Config, representations?: Representations, trainerPaths?: TrainerPaths): Promise<Learner> {
  if (config.trainer !== null && trainerPaths) return new ExternalLearner(dataset, { ...config, trainer: config.trainer }, trainerPaths);
  const entry = modelEntry(config.model);
  if (entry.kind === 'nearest-neighbour') return new NearestNeighbourLearner(dataset);
  if (entry.kind === 'linear-probe') return new LinearProbeLearner(dataset, config, representations ?? (await computeRepresentations(dataset, config)));
  return new NetworkLearner(dataset, config, entry.build);
}
