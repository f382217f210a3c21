// The training loop and prediction shared by every learner with logits: SGD + momentum over shuffled
// batches with a per-step learning rate, each step inside tf.tidy; then logits in batches, read back as
// predicted classes and margins. The model's owner disposes it; the optimizer is disposed here.
import * as tf from '@tensorflow/tfjs';
import { makeRandom, shuffled } from './seeds.js';

const PREDICT_BATCH = 1024;

export interface FitSettings {
  epochs: number;
  batchSize: number;
  momentum: number;
  learningRate: (step: number) => number; // the schedule
}

/** Trains `model` on examples `indices` (one fresh order per epoch, from `seed`). `inputs(batch, step)`
 * returns the batch's input tensor; it is called inside the step's tf.tidy. */
export function fitModel(
  model: tf.LayersModel,
  labels: tf.Tensor1D, // [n] int32 class of every example
  numClasses: number,
  indices: Int32Array,
  seed: number,
  settings: FitSettings,
  inputs: (batch: Int32Array, step: number) => tf.Tensor,
): void {
  const optimizer = tf.train.momentum(0, settings.momentum);
  const random = makeRandom('memorize', 'order', seed);
  try {
    let step = 0;
    for (let epoch = 0; epoch < settings.epochs; epoch++) {
      const order = shuffled(indices, random);
      for (let start = 0; start < order.length; start += settings.batchSize, step++) {
        optimizer.setLearningRate(settings.learningRate(step));
        const batch = order.subarray(start, start + settings.batchSize);
        tf.tidy(() => {
          const x = inputs(batch, step); // [b, ...input shape]
          const y = tf.oneHot(tf.gather(labels, tf.tensor1d(batch, 'int32')), numClasses); // [b, classes]
          optimizer.minimize(() => {
            const logits = model.apply(x, { training: true }) as tf.Tensor2D;
            const loss = tf.losses.softmaxCrossEntropy(y, logits);
            const penalties = model.calculateLosses();
            return (penalties.length > 0 ? tf.addN([loss, ...penalties]) : loss) as tf.Scalar;
          });
        });
      }
    }
  } finally {
    optimizer.dispose();
    // tfjs 4.22's MomentumOptimizer.dispose() skips SGDOptimizer's learning-rate scalar `c`: one leaked tensor a trial.
    (optimizer as unknown as { c?: tf.Scalar }).c?.dispose();
  }
}

/** Predicted classes of all examples and, for each, its correct-class logit minus the best other logit. */
export interface Scored {
  classes: Int32Array;
  margins: Float32Array;
}

/** Runs `model` over `x` ([n, ...]) in batches and scores every example against `labels` ([n]).
 * Ties go to the lower class, as tf.argMax does; the margin is then 0. */
export function predictAll(model: tf.LayersModel, x: tf.Tensor, labels: Int32Array): Scored {
  const n = x.shape[0];
  const classes = new Int32Array(n);
  const margins = new Float32Array(n);
  for (let start = 0; start < n; start += PREDICT_BATCH) {
    const size = Math.min(PREDICT_BATCH, n - start);
    const logits = tf.tidy(() => model.predict(x.slice(start, size), { batchSize: size }) as tf.Tensor2D); // [size, classes], one forward pass
    const values = logits.dataSync();
    const k = logits.shape[1];
    logits.dispose();
    for (let r = 0; r < size; r++) {
      const row = r * k;
      const label = labels[start + r]!;
      let best = 0;
      let other = -Infinity; // best logit of a class other than the label
      for (let c = 0; c < k; c++) {
        const v = values[row + c]!;
        if (v > values[row + best]!) best = c;
        if (c !== label && v > other) other = v;
      }
      classes[start + r] = best;
      margins[start + r] = values[row + label]! - other;
    }
  }
  return { classes, margins };
}
