// Identity for wasm without a copy: the output shares the input's data (a reference count), as the cpu
// backend's Identity and wasm's own Reshape do. wasm's own copies the data, and the engine calls it for
// every tensor it saves for the backward pass: ~31 copies a step of the small cnn, ~4 ms at batch 64.
// Sharing is safe because no wasm kernel writes into an input's buffer. Cast to the dtype a tensor already
// has is the same copy: ReLU's gradient (dy * cast(step(x), 'float32')) makes one a step per ReLU.
import * as tf from '@tensorflow/tfjs';
import { wrapKernel } from './composite.js';

interface RefCountingBackend {
  incRef(dataId: tf.DataId): void;
}

/** The output of an Identity: x's own data, one more reference to it. */
function shared(backend: object, x: tf.TensorInfo): tf.TensorInfo {
  (backend as RefCountingBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

/** Replaces `backendName`'s Identity (wasm) with a data-sharing one (strings still go to the original). */
export function registerSharedIdentity(backendName: string): void {
  wrapKernel(tf.Identity, backendName, (original) => (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    return x.dtype === 'string' ? original.kernelFunc(args) : shared(args.backend, x);
  });
}

/** Replaces `backendName`'s Cast (wasm) with one that shares the data when the dtype does not change. */
export function registerSharedCast(backendName: string): void {
  wrapKernel(tf.Cast, backendName, (original) => (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { dtype } = (args.attrs ?? {}) as unknown as tf.CastAttrs;
    return x.dtype === dtype && dtype !== 'string' ? shared(args.backend, x) : original.kernelFunc(args);
  });
}
