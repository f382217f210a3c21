// SplitV for wasm through the registered Slice kernel. wasm's own SplitV calls its internal slice, which
// starts with backend.readSync(x) and so copies ALL of x out of the heap once per part: splitting an ensemble
// step's [256,32,32,32] activations into 4 models took 423 ms (tf.split, and tf.concat's gradient, which is a
// split). Through the in-place Slice each part costs only its own copy.
import * as tf from '@tensorflow/tfjs';
import { callKernel, wrapKernel } from './composite.js';

/** Replaces `backendName`'s SplitV with one slice per part, by the backend's registered Slice kernel. */
export function registerSlicedSplitV(backendName: string): void {
  wrapKernel(tf.SplitV, backendName, () => ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    const { numOrSizeSplits, axis } = (attrs ?? {}) as unknown as tf.SplitVAttrs;
    const at = tf.util.parseAxisParam(axis, x.shape)[0]!;
    const sizes = tf.backend_util.prepareSplitSize(x, numOrSizeSplits, at);
    const begin = x.shape.map(() => 0);
    return sizes.map((part) => {
      const size = x.shape.map((extent, a) => (a === at ? part : extent));
      const out = callKernel(tf.Slice, backendName, backend, { x }, { begin: [...begin], size });
      begin[at]! += part;
      return out;
    });
  });
}
