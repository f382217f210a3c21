// Sum over leading axes for wasm (every bias gradient: dy [b, h, w, c] summed to [c]) as a JS loop of column
// sums over the heap. wasm's own kernel first transposes the reduced axes to the end: 6 ms for
// [64,32,32,32] -> [32], against ~2 ms here. Any other Sum goes to wasm's own kernel.
import * as tf from '@tensorflow/tfjs';
import { wrapKernel } from './composite.js';
import { f32, heapBackend } from './heap.js';

/** Replaces `backendName`'s Sum (wasm) with one that sums leading axes itself and falls back to the original. */
export function registerLeadingAxesSum(backendName: string): void {
  wrapKernel(tf.Sum, backendName, (original) => (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = (args.attrs ?? {}) as unknown as tf.SumAttrs;
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
    const leading = axes.length > 0 && axes.length < x.shape.length && axes.every((a, i) => a === i);
    if (!leading || x.dtype !== 'float32') return original.kernelFunc(args);
    const rows = x.shape.slice(0, axes.length).reduce((p, d) => p * d, 1);
    const kept = x.shape.slice(axes.length);
    return columnSums(heapBackend(args.backend, 'Sum'), x, rows, keepDims ? [...axes.map(() => 1), ...kept] : kept);
  });
}

/** x viewed as [rows, cols]: the sum of each column, accumulated in float64. */
function columnSums(backend: ReturnType<typeof heapBackend>, x: tf.TensorInfo, rows: number, outShape: number[]): tf.TensorInfo {
  const out = backend.makeOutput(outShape, 'float32'); // before the views
  const src = f32(backend, x);
  const dst = f32(backend, out);
  const cols = dst.length;
  const acc = new Float64Array(cols);
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    // Four rows a pass: a quarter of the loads and stores of the accumulator.
    const b0 = r * cols;
    const b1 = b0 + cols;
    const b2 = b1 + cols;
    const b3 = b2 + cols;
    for (let c = 0; c < cols; c++) acc[c]! += src[b0 + c]! + src[b1 + c]! + src[b2 + c]! + src[b3 + c]!;
  }
  for (; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) acc[c]! += src[base + c]!;
  }
  dst.set(acc);
  return out;
}
