// Direct access to wasm tensors for kernels written in JavaScript: each tensor's data lies in the wasm heap,
// so a JS loop can read and write it in place, with no copy. A view is invalidated when the heap grows, so
// kernels allocate their outputs first and take views after.
import type * as tf from '@tensorflow/tfjs';

/** The part of tfjs-backend-wasm's BackendWasm that JS kernels use. */
export interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** The backend of a wasm kernel call, checked to have heap access. */
export function heapBackend(backend: object, kernelName: string): HeapBackend {
  const b = backend as Partial<HeapBackend>;
  if (typeof b.typedArrayFromHeap !== 'function' || typeof b.makeOutput !== 'function') {
    throw new Error(`${kernelName}: this JS kernel needs the wasm backend (heap access)`);
  }
  return b as HeapBackend;
}

/** A float32 view of `info`'s data. */
export function f32(backend: HeapBackend, info: tf.TensorInfo): Float32Array {
  const view = backend.typedArrayFromHeap(info);
  if (!(view instanceof Float32Array)) throw new Error(`expected a float32 tensor, got ${info.dtype}`);
  return view;
}
