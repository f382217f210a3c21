// Batch normalization whose training step is a handful of kernels. tfjs-layers' BatchNormalization composes
// its training forward from moments and FusedBatchNorm, and autodiff then differentiates every piece of it:
// the FusedBatchNorm gradient and the moments' chain, with broadcasts and reshapes. This layer is the same
// layer (weights, initializers, moving averages, inference, config) with a training forward that computes
// the batch statistics once and a closed-form gradient, per channel c over the N = b*h*w positions:
//   xhat = (x - mean) * rstd,  dbeta = sum(dy),  dgamma = sum(dy * xhat),
//   dx = gamma * rstd * (dy - dbeta / N - xhat * dgamma / N).
// Fewer kernels per step matter most on a GPU, where each one costs CPU time to enqueue.
import * as tf from '@tensorflow/tfjs';

/** BatchNormalization's state this layer reads (private in tfjs-layers' typings). */
interface BatchNormState {
  gamma: { read(): tf.Tensor } | null;
  beta: { read(): tf.Tensor } | null;
  movingMean: { read(): tf.Tensor; write(value: tf.Tensor): void };
  movingVariance: { read(): tf.Tensor; write(value: tf.Tensor): void };
  axis: number;
  momentum: number;
  epsilon: number;
}

type BatchNormArgs = NonNullable<Parameters<typeof tf.layers.batchNormalization>[0]>;
type LayerCall = (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];

/** Training-mode output of `layer` on x (channels last), updating its moving averages as tfjs-layers does. */
function normalizeInTraining(layer: BatchNormState, x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i); // all but the channels
  const count = x.size / x.shape[x.rank - 1]!; // N
  const normalize = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, scale, offset] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const mean = tf.mean(input!, axes); // [c]
    const variance = tf.mean(tf.squaredDifference(input!, mean), axes); // [c], biased, as tfjs-layers and PyTorch normalize
    const rstd = tf.rsqrt(tf.add(variance, layer.epsilon));
    const y = tf.batchNorm(input!, mean, variance, offset, scale, layer.epsilon);
    // Moving averages: moving - (moving - batch) * (1 - momentum), as tfjs-layers' BatchNormalization.
    for (const [moving, batch] of [[layer.movingMean, mean], [layer.movingVariance, variance]] as const) {
      const old = moving.read();
      moving.write(tf.sub(old, tf.mul(tf.sub(old, batch), 1 - layer.momentum)));
    }
    save([input!, mean, rstd, scale!]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, m, r, g] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        const xhat = tf.mul(tf.sub(xs, m), r);
        const dbeta = tf.sum(dy, axes);
        const dgamma = tf.sum(tf.mul(dy, xhat), axes);
        const centered = tf.sub(tf.sub(dy, tf.div(dbeta, count)), tf.mul(xhat, tf.div(dgamma, count)));
        return [tf.mul(tf.mul(g, r), centered), dgamma, dbeta];
      },
    };
  });
  return normalize(x, gamma, beta);
}

let FusedBatchNormalization: (new (args: BatchNormArgs) => tf.layers.Layer) | undefined;

/** The class, made on first use from the class tfjs-layers' factory instantiates (it does not export it). */
function fusedClass(): new (args: BatchNormArgs) => tf.layers.Layer {
  if (FusedBatchNormalization) return FusedBatchNormalization;
  const prototype = Object.getPrototypeOf(tf.layers.batchNormalization({ name: 'memorize_batch_norm_prototype' })) as { constructor: new (args: BatchNormArgs) => tf.layers.Layer };
  const Base = prototype.constructor;
  const baseCall = (Base.prototype as { call: LayerCall }).call;
  class Fused extends Base {
    override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
      const state = this as unknown as BatchNormState;
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const channelsLast = state.axis === -1 || state.axis === x.rank - 1;
      if (kwargs['training'] !== true || !channelsLast || !state.gamma || !state.beta) return baseCall.call(this, inputs, kwargs);
      const { gamma, beta } = state;
      return tf.tidy(() => normalizeInTraining(state, x, gamma.read(), beta.read()));
    }
  }
  FusedBatchNormalization = Fused;
  return Fused;
}

/** A batch normalization layer (tf.layers.batchNormalization's arguments) that trains in a few kernels. */
export function batchNormalization(args: BatchNormArgs): tf.layers.Layer {
  return new (fusedClass())(args);
}
