// What the training loop trains: K >= 1 networks evaluated together. One network is a tf.LayersModel as its
// builder made it (any architecture); several are stacked into one computation (StackedNetworks).
import * as tf from '@tensorflow/tfjs';
import { StackedNetworks } from './stacked-networks.js';

export interface Networks {
  readonly count: number; // K
  /** Every trainable variable (undefined: all of the engine's trainable variables, as a LayersModel trains). */
  readonly variables?: tf.Variable[];
  /** Training-mode logits [K * b, classes]: network k on rows k*b..(k+1)*b of x [K * b, ...]. */
  trainingLogits(x: tf.Tensor): tf.Tensor2D;
  /** The weight-decay penalty summed over the networks, or null without one. */
  penalty(): tf.Scalar | null;
  /** Inference logits [K, s, classes] of every network on the same inputs x [s, ...]. */
  predictLogits(x: tf.Tensor): tf.Tensor3D;
  dispose(): void;
}

/** One network: the model as built. */
export class SingleNetwork implements Networks {
  readonly count = 1;
  constructor(readonly model: tf.LayersModel) {}

  trainingLogits(x: tf.Tensor): tf.Tensor2D {
    return this.model.apply(x, { training: true }) as tf.Tensor2D;
  }

  penalty(): tf.Scalar | null {
    const penalties = this.model.calculateLosses();
    return penalties.length > 0 ? tf.addN<tf.Scalar>(penalties) : null;
  }

  predictLogits(x: tf.Tensor): tf.Tensor3D {
    return (this.model.predict(x, { batchSize: x.shape[0] }) as tf.Tensor2D).expandDims(0); // one forward pass
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** The networks that train `models` (fresh from their builders; this takes them over): the model itself when
 * there is one, else their weights stacked, after which the models are disposed. */
export function networksOf(models: tf.LayersModel[]): Networks {
  const [first] = models;
  if (!first) throw new Error('networksOf needs at least one model');
  if (models.length === 1) return new SingleNetwork(first);
  try {
    return new StackedNetworks(models);
  } finally {
    for (const model of models) model.dispose();
  }
}
