// The training loop and prediction shared by every learner with logits: SGD + momentum over shuffled
// batches with a per-step learning rate, each step inside tf.tidy; then logits in batches, read back as
// predicted classes and margins. K networks train together, each on its own subset in its own order,
// with the loss the sum of their mean losses, so that each network's gradient is what it would be alone.
// The networks' owner disposes them; the optimizer is disposed here.
import * as tf from '@tensorflow/tfjs';
import type { Networks } from './networks.js';
import { makeRandom, shuffled } from './seeds.js';
import type { TrainingHooks } from './training-hooks.js';

const PREDICT_ROWS = 1024; // forward rows per prediction pass, over all K networks

export interface FitSettings extends TrainingHooks {
  epochs: number;
  batchSize: number;
  momentum: number;
  learningRate: (step: number) => number; // the schedule
}

/** Sums of one epoch's losses and right predictions, kept on the device (one read per epoch, when reported). */
class EpochTally {
  /** Whether losses and right predictions are summed: not on webgpu, whose reads are asynchronous (the report has the time only). */
  readonly counts = tf.getBackend() !== 'webgpu';
  private loss = tf.keep(tf.scalar(0));
  private correct = tf.keep(tf.scalar(0, 'int32'));
  private started = performance.now();

  add(cost: tf.Scalar | null, logits: tf.Tensor, labels: tf.Tensor): void {
    const [loss, correct] = [this.loss, this.correct];
    if (cost) this.loss = tf.keep(loss.add(cost));
    this.correct = tf.keep(correct.add(tf.argMax(logits, -1).equal(labels).sum()));
    if (cost) loss.dispose();
    correct.dispose();
  }

  /** Reports the epoch and starts the next; loss and accuracy are null where they are not counted (webgpu). */
  report(epoch: number, settings: FitSettings, steps: number, rows: number, networks: number): void {
    const loss = this.counts ? this.loss.dataSync()[0]! / steps / networks : null;
    const accuracy = this.counts ? this.correct.dataSync()[0]! / rows : null;
    settings.afterEpoch?.({ epoch: epoch + 1, epochs: settings.epochs, loss, accuracy, seconds: (performance.now() - this.started) / 1000 });
    this.dispose();
    [this.loss, this.correct, this.started] = [tf.keep(tf.scalar(0)), tf.keep(tf.scalar(0, 'int32')), performance.now()];
  }

  dispose(): void {
    this.loss.dispose();
    this.correct.dispose();
  }
}

/** What one of the networks trains on: its examples, and the seed of its batch order. */
export interface FitRun {
  indices: Int32Array;
  seed: number;
}

/** The examples of one step: network k's batch, and all of them in network order (rows of the step's inputs). */
export interface StepBatch {
  perNetwork: Int32Array[];
  all: Int32Array;
}

/** Trains network k of `networks` on runs[k].indices (one fresh order per epoch, from runs[k].seed); all runs
 * have the same number of examples, so their batches line up. `inputs(batch, step)` returns the inputs of
 * the step [K * b, ...], network k's batch in rows k*b..(k+1)*b; it is called inside the step's tf.tidy. */
export function fitNetworks(
  networks: Networks,
  labels: tf.Tensor1D, // [n] int32 class of every example
  numClasses: number,
  runs: readonly FitRun[],
  settings: FitSettings,
  inputs: (batch: StepBatch, step: number) => tf.Tensor,
): void {
  const size = runs[0]?.indices.length ?? 0;
  if (runs.length !== networks.count || runs.some((r) => r.indices.length !== size)) {
    throw new Error(`fitNetworks: ${networks.count} networks need as many runs of one size, got sizes ${runs.map((r) => r.indices.length).join(', ')}`);
  }
  const optimizer = tf.train.momentum(0, settings.momentum);
  const randoms = runs.map((run) => makeRandom('memorize', 'order', run.seed));
  const tally = settings.afterEpoch ? new EpochTally() : undefined; // only when someone reads it
  const counting = tally?.counts === true;
  try {
    let step = 0;
    for (let epoch = 0; epoch < settings.epochs; epoch++) {
      const orders = runs.map((run, k) => shuffled(run.indices, randoms[k]!));
      const firstStep = step;
      for (let start = 0; start < size; start += settings.batchSize, step++) {
        optimizer.setLearningRate(settings.learningRate(step));
        const batches = orders.map((order) => order.subarray(start, start + settings.batchSize));
        const all = batches.length === 1 ? batches[0]! : concatenated(batches);
        tf.tidy(() => {
          const x = inputs({ perNetwork: batches, all }, step); // [K * b, ...input shape]
          const batchLabels = tf.gather(labels, tf.tensor1d(all, 'int32'));
          const y = tf.oneHot(batchLabels, numClasses); // [K * b, classes]
          let kept: tf.Tensor | undefined; // the step's logits, kept out of the tape's tidy for the tally
          const cost = optimizer.minimize(() => {
            const logits = networks.trainingLogits(x);
            if (counting) kept = tf.keep(logits);
            // Sum over networks of each one's mean over its b examples (for K = 1, tfjs's default mean).
            const loss = tf.losses.softmaxCrossEntropy(y, logits, undefined, undefined, tf.Reduction.SUM).div(batches[0]!.length);
            const penalty = networks.penalty();
            return (penalty ? tf.add(loss, penalty) : loss) as tf.Scalar;
          }, counting, networks.variables);
          if (kept) tally?.add(cost, kept, batchLabels);
          kept?.dispose();
        });
        settings.afterStep?.();
      }
      tally?.report(epoch, settings, step - firstStep, size * runs.length, runs.length);
    }
  } finally {
    tally?.dispose();
    optimizer.dispose();
    // tfjs 4.22's MomentumOptimizer.dispose() skips SGDOptimizer's learning-rate scalar `c`: one leaked tensor a trial.
    (optimizer as unknown as { c?: tf.Scalar }).c?.dispose();
  }
}

function concatenated(parts: Int32Array[]): Int32Array {
  const out = new Int32Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Predicted classes of all examples and, for each, its correct-class logit minus the best other logit. */
export interface Scored {
  classes: Int32Array;
  margins: Float32Array;
}

/** Runs every network over `x` ([n, ...]) in batches and scores every example against `labels` ([n]):
 * one Scored per network. Ties go to the lower class, as tf.argMax does; the margin is then 0. Logits are
 * read back asynchronously (a GPU backend cannot read synchronously in Node), one chunk ahead: the next
 * chunk is computing while the last one is read. */
export async function predictAll(networks: Networks, x: tf.Tensor, labels: Int32Array): Promise<Scored[]> {
  const n = x.shape[0];
  const scored = Array.from({ length: networks.count }, () => ({ classes: new Int32Array(n), margins: new Float32Array(n) }));
  const rows = Math.max(1, Math.floor(PREDICT_ROWS / networks.count));
  const forward = (start: number): { start: number; size: number; logits: tf.Tensor3D } => {
    const size = Math.min(rows, n - start);
    return { start, size, logits: tf.tidy(() => networks.predictLogits(x.slice(start, size))) }; // [K, size, classes]
  };
  let pending = n > 0 ? forward(0) : undefined;
  try {
    while (pending) {
      const { start, size, logits } = pending;
      pending = start + size < n ? forward(start + size) : undefined;
      const values = await logits.data();
      const classes = logits.shape[2];
      logits.dispose();
      scored.forEach((out, k) => scoreRows(values.subarray(k * size * classes, (k + 1) * size * classes), classes, labels.subarray(start, start + size), out, start));
    }
  } finally {
    pending?.logits.dispose();
  }
  return scored;
}

/** Scores logits [rows, classes] of examples `labels` into out at `offset`. */
function scoreRows(values: ArrayLike<number>, classes: number, labels: Int32Array, out: Scored, offset: number): void {
  for (let r = 0; r < labels.length; r++) {
    const row = r * classes;
    const label = labels[r]!;
    let best = 0;
    let other = -Infinity; // best logit of a class other than the label
    for (let c = 0; c < classes; c++) {
      const v = values[row + c]!;
      if (v > values[row + best]!) best = c;
      if (c !== label && v > other) other = v;
    }
    out.classes[offset + r] = best;
    out.margins[offset + r] = values[row + label]! - other;
  }
}
