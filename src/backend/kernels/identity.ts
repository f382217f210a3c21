// Identity for wasm without a copy: the output shares the input's data (a reference count), as the cpu
// backend's Identity and wasm's own Reshape do. wasm's own copies the data, and the engine calls it for
// every tensor it saves for the backward pass: ~31 copies a step of the small cnn, ~4 ms at batch 64.
// Sharing is safe because no wasm kernel writes into an input's buffer.
import * as tf from '@tensorflow/tfjs';
import { wrapKernel } from './composite.js';

interface RefCountingBackend {
  incRef(dataId: tf.DataId): void;
}

/** Replaces `backendName`'s Identity (wasm) with a data-sharing one (strings still go to the original). */
export function registerSharedIdentity(backendName: string): void {
  wrapKernel(tf.Identity, backendName, (original) => (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype === 'string') return original.kernelFunc(args);
    (args.backend as RefCountingBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  });
}
