// Shared helpers for the backend tests: seeded data, running one computation on a named backend and
// reading it back as plain arrays (tensors belong to a backend), and relative error.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

/** Seeded standard-normal values (computed in JS, identical on every backend). */
export function randn(shape: number[], seed: number): Float32Array {
  return tf.tidy(() => tf.randomNormal(shape, 0, 1, 'float32', seed).dataSync() as Float32Array);
}

/** Switches to `backend`, runs `f` in a tidy and returns its outputs' values (read asynchronously, as a GPU
 * backend must be read in Node). */
export async function on(backend: string, f: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  assertTrue(await tf.setBackend(backend), `backend ${backend} did not start`);
  const outs = tf.tidy(f);
  const list = Array.isArray(outs) ? outs : [outs];
  const values = await Promise.all(list.map(async (t) => Float32Array.from(await t.data())));
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

/** Runs `f` (or `fCpu`) on cpu and `f` on `backend` (wasm by default), checks that `backend` freed its
 * intermediates, and returns the worst relative error of its outputs against cpu's. */
export async function compareToCpu(backend: string, f: () => tf.Tensor | tf.Tensor[], fCpu = f): Promise<number> {
  const ref = await on('cpu', fCpu);
  assertTrue(await tf.setBackend(backend), `backend ${backend} did not start`);
  const idsBefore = numDataIds();
  const got = await on(backend, f);
  assertTrue(numDataIds() === idsBefore, `the ${backend} kernels leaked ${numDataIds() - idsBefore} data buffers`);
  return Math.max(...got.map((g, i) => relErr(g, ref[i] ?? new Float32Array())));
}

export const compareWasmToCpu = (f: () => tf.Tensor | tf.Tensor[], fCpu = f): Promise<number> => compareToCpu('wasm', f, fCpu);

/** Convolution and pooling geometries for the kernel tests: strides 1 and 2, same and valid padding,
 * odd and even sizes, plus wider windows, unequal strides and explicit pads. */
export interface WindowCase {
  b: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  k: number;
  s: number | [number, number];
  pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
}

export function windowCases(): WindowCase[] {
  const cases: WindowCase[] = [];
  const channels: [number, number][] = [[1, 4], [3, 5], [8, 8]];
  let i = 0;
  for (const k of [1, 2, 3]) {
    for (const s of [1, 2]) {
      for (const pad of ['same', 'valid'] as const) {
        for (const [h, w] of [[7, 7], [8, 6]] as const) {
          for (const [ci, co] of channels) cases.push({ b: 2 + (i++ % 2), h, w, ci, co, k, s, pad });
        }
      }
    }
  }
  cases.push({ b: 2, h: 9, w: 8, ci: 3, co: 4, k: 5, s: 2, pad: 'same' });
  cases.push({ b: 2, h: 9, w: 7, ci: 2, co: 3, k: 4, s: [1, 2], pad: 'valid' });
  cases.push({ b: 2, h: 9, w: 9, ci: 2, co: 3, k: 3, s: 3, pad: 'same' });
  cases.push({ b: 3, h: 7, w: 6, ci: 3, co: 2, k: 3, s: 1, pad: 1 });
  cases.push({ b: 2, h: 8, w: 7, ci: 3, co: 2, k: 3, s: 2, pad: [[0, 0], [1, 2], [0, 3], [0, 0]] });
  return cases;
}

type Shape4 = [number, number, number, number];

/** Seeded data of a conv2d case: x [b, h, w, ci], filter [k, k, ci, co] and dy of the conv's output shape,
 * with seeds seed, seed + 100 and seed + 200. */
export function convData(c: WindowCase, seed: number): { xShape: Shape4; fShape: Shape4; outShape: number[]; xs: Float32Array; fs: Float32Array; dys: Float32Array } {
  const xShape: Shape4 = [c.b, c.h, c.w, c.ci];
  const fShape: Shape4 = [c.k, c.k, c.ci, c.co];
  const outShape = tf.tidy(() => tf.conv2d(tf.zeros<tf.Rank.R4>(xShape), tf.zeros<tf.Rank.R4>(fShape), c.s, c.pad).shape);
  return { xShape, fShape, outShape, xs: randn(xShape, seed), fs: randn(fShape, seed + 100), dys: randn(outShape, seed + 200) };
}
