// Shared helpers for the backend tests: seeded data, running one computation on a named backend and
// reading it back as plain arrays (tensors belong to a backend), and relative error.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

/** Seeded standard-normal values (computed in JS, identical on every backend). */
export function randn(shape: number[], seed: number): Float32Array {
  return tf.tidy(() => tf.randomNormal(shape, 0, 1, 'float32', seed).dataSync() as Float32Array);
}

/** Switches to `backend`, runs `f` in a tidy and returns its outputs' values. */
export async function on(backend: string, f: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  assertTrue(await tf.setBackend(backend), `backend ${backend} did not start`);
  const outs = tf.tidy(f);
  const list = Array.isArray(outs) ? outs : [outs];
  const values = list.map((t) => Float32Array.from(t.dataSync()));
  tf.dispose(list);
  return values;
}

function assertTrue(ok: boolean, message: string): void {
  if (!ok) throw new Error(message);
}

/** ||a - b|| / ||b|| (0 when both are all zeros). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < b.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    diff += d * d;
    norm += (b[i] ?? 0) ** 2;
  }
  return norm === 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
}

/** Number of data buffers the current backend holds (to check that composites free their temporaries). */
export function numDataIds(): number {
  return tf.engine().backend.numDataIds();
}
