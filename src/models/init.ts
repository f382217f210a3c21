// Seeded initializers and regularizers shared by all builders. tfjs treats seed 0 as "unseeded", and
// layers of one shape given the same seed get identical weights: each initializer gets its own seed.
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';

/** Returns a generator of distinct non-zero uint32 seeds, fixed by `seed`. */
export function makeSeeder(seed: number): () => number {
  const random = seedrandom(`init:${seed}`);
  const used = new Set<number>();
  return () => {
    for (;;) {
      const next = random.int32() >>> 0;
      if (next !== 0 && !used.has(next)) {
        used.add(next);
        return next;
      }
    }
  };
}

/** He (Kaiming) normal initializer with its own seed, as PyTorch's ResNets use for convolutions. */
export function heNormal(nextSeed: () => number): ReturnType<typeof tf.initializers.heNormal> {
  return tf.initializers.heNormal({ seed: nextSeed() });
}

/** Glorot uniform initializer with its own seed. */
export function glorotUniform(nextSeed: () => number): ReturnType<typeof tf.initializers.glorotUniform> {
  return tf.initializers.glorotUniform({ seed: nextSeed() });
}

/** Layer options for SGD weight decay `weightDecay`: an l2 regularizer of weightDecay / 2 on the kernel
 * (tfjs adds l2 * sum(w^2) to the loss, whose gradient is weightDecay * w), or none at 0. Spread it
 * into a layer's arguments. */
export function kernelDecay(weightDecay: number): { kernelRegularizer?: ReturnType<typeof tf.regularizers.l2> } {
  return weightDecay > 0 ? { kernelRegularizer: tf.regularizers.l2({ l2: weightDecay / 2 }) } : {};
}

/** Batch-norm settings matching PyTorch's defaults (tfjs defaults to momentum 0.99, epsilon 1e-3). */
export const BATCH_NORM_DEFAULTS = { momentum: 0.9, epsilon: 1e-5 } as const;

/** What the functional-API builders thread through their layer helpers. */
export interface BuilderContext {
  nextSeed: () => number; // distinct non-zero initializer seeds
  decay: ReturnType<typeof kernelDecay>; // spread into conv and dense layer arguments
}

/** The single symbolic output of a layer applied in the functional API. */
export function single(out: tf.SymbolicTensor | tf.SymbolicTensor[] | tf.Tensor | tf.Tensor[]): tf.SymbolicTensor {
  if (out instanceof tf.SymbolicTensor) return out;
  throw new Error('expected a single symbolic tensor');
}
