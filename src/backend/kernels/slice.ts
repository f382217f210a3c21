// Slice for wasm reading the input in place. wasm's own kernel starts with backend.readSync(x), which copies
// ALL of x out of the heap for every slice: taking 32 rows of a [1024,16,16,1] batch costs 3 ms, and each
// 1024-row batch that prediction slices from a [50000,32,32,3] training set would copy all 614 MB. This one
// copies only the slice: contiguous runs of the innermost axes with TypedArray.set (or a short loop).
import * as tf from '@tensorflow/tfjs';
import { wrapKernel } from './composite.js';
import { heapBackend } from './heap.js';

/** Runs shorter than this are copied value by value (one set() call costs more than a short loop). */
const MIN_SET_RUN = 16;

/** Replaces `backendName`'s Slice (wasm) with one that reads the heap in place (strings go to the original). */
export function registerHeapSlice(backendName: string): void {
  wrapKernel(tf.Slice, backendName, (original) => (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype === 'string') return original.kernelFunc(args);
    const { begin, size } = (args.attrs ?? {}) as unknown as tf.SliceAttrs;
    const [start = [], extent = []] = tf.slice_util.parseSliceParams(x, begin, size);
    return sliceHeap(heapBackend(args.backend, 'Slice'), x, start, extent);
  });
}

function sliceHeap(backend: ReturnType<typeof heapBackend>, x: tf.TensorInfo, start: number[], extent: number[]): tf.TensorInfo {
  const out = backend.makeOutput(extent, x.dtype);
  const src = backend.typedArrayFromHeap(x); // views after the allocation, which may grow the heap
  const dst = backend.typedArrayFromHeap(out);
  if (dst.length === 0) return out;
  const shape = x.shape;
  const strides = tf.util.computeStrides([...shape]);
  // Merge the innermost axes that are taken whole into one contiguous run.
  let axis = shape.length - 1;
  let run = 1;
  while (axis > 0 && extent[axis] === shape[axis]) run *= shape[axis--]!;
  run *= extent[axis] ?? 1;
  const offset = start.reduce((sum, s, a) => sum + s * (strides[a] ?? 1), 0);
  // Odometer over the outer axes 0..axis-1 of the slice.
  const outer = extent.slice(0, axis);
  const index = outer.map(() => 0);
  const runs = dst.length / run;
  for (let r = 0; r < runs; r++) {
    let from = offset;
    for (let a = 0; a < outer.length; a++) from += index[a]! * strides[a]!;
    const to = r * run;
    if (run >= MIN_SET_RUN) dst.set(src.subarray(from, from + run), to);
    else for (let v = 0; v < run; v++) dst[to + v] = src[from + v]!;
    for (let a = outer.length - 1; a >= 0; a--) {
      if (++index[a]! < outer[a]!) break;
      index[a] = 0;
    }
  }
  return out;
}
