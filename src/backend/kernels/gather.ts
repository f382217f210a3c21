// GatherV2 for wasm with whole rows copied by TypedArray.set on the heap. wasm's own kernel computes every
// element's address from strides: 7 ms to gather a batch of 64 CIFAR images ([640,32,32,3] by 64 indices),
// against ~0.1 ms here (and 0.5 ms -> 0.01 ms for the batch's 64 labels). Gathers with batchDims go to
// wasm's own kernel.
import * as tf from '@tensorflow/tfjs';
import { wrapKernel } from './composite.js';
import { heapBackend } from './heap.js';

/** Rows shorter than this are copied value by value (one set() call a row costs more than a short loop). */
const MIN_SET_ROW = 16;

/** Replaces `backendName`'s GatherV2 (wasm) with a row-copying one that falls back to the original. */
export function registerRowGather(backendName: string): void {
  wrapKernel(tf.GatherV2, backendName, (original) => (args) => {
    const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
    const { axis, batchDims = 0 } = (args.attrs ?? {}) as unknown as tf.GatherV2Attrs;
    const a = tf.util.parseAxisParam(axis, x.shape)[0] ?? 0;
    const row = x.shape.slice(a + 1).reduce((p, d) => p * d, 1);
    if (batchDims !== 0 || indices.dtype !== 'int32') return original.kernelFunc(args);
    return gatherRows(heapBackend(args.backend, 'GatherV2'), x, indices, a, row);
  });
}

function gatherRows(backend: ReturnType<typeof heapBackend>, x: tf.TensorInfo, indices: tf.TensorInfo, axis: number, row: number): tf.TensorInfo {
  const dim = x.shape[axis] ?? 1;
  const outer = x.shape.slice(0, axis).reduce((p, d) => p * d, 1);
  for (const i of backend.typedArrayFromHeap(indices)) {
    if (!(i >= 0 && i < dim)) throw new Error(`GatherV2: the index value ${i} is not in [0, ${dim - 1}]`);
  }
  const out = backend.makeOutput([...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)], x.dtype);
  const idx = backend.typedArrayFromHeap(indices); // views taken after the allocation, which may grow the heap
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const count = idx.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < count; j++) {
      const from = (o * dim + idx[j]!) * row;
      const to = (o * count + j) * row;
      if (row >= MIN_SET_ROW) dst.set(src.subarray(from, from + row), to);
      else for (let v = 0; v < row; v++) dst[to + v] = src[from + v]!;
    }
  }
  return out;
}
