// AddN for webgpu within the device's binding limits. webgpu's own AddN binds one storage buffer per input
// plus the output; past maxStorageBuffersPerShaderStage (8 by WebGPU's default) Dawn rejects the pipeline,
// which invalidates the whole command buffer: kernels before and after it return wrong values, and nothing
// throws. A weight-decay penalty over a ResNet's kernels is such a sum. This adds chunks that fit, then
// adds the chunks' sums the same way.
import * as tf from '@tensorflow/tfjs';
import { free, wrapKernel } from './composite.js';

interface DeviceBackend {
  device: { limits: { maxStorageBuffersPerShaderStage: number } };
}

/** The most inputs one AddN of `backend` may bind (one storage buffer is the output). */
function addNInputLimit(backend: object): number {
  return Math.max(2, (backend as DeviceBackend).device.limits.maxStorageBuffersPerShaderStage - 1);
}

let wrapped = false;

/** Replaces webgpu's AddN with one that never binds more inputs than the device allows (idempotent). */
export function registerChunkedAddN(backendName: string): void {
  if (wrapped) return;
  wrapped = true;
  wrapKernel(tf.AddN, backendName, (original) => (args) => {
    const limit = addNInputLimit(args.backend);
    let terms = args.inputs as unknown as tf.TensorInfo[];
    const made: tf.TensorInfo[] = [];
    while (terms.length > limit) {
      const sums: tf.TensorInfo[] = [];
      for (let start = 0; start < terms.length; start += limit) {
        const chunk = terms.slice(start, start + limit);
        if (chunk.length === 1) {
          sums.push(chunk[0]!);
          continue;
        }
        const sum = original.kernelFunc({ ...args, inputs: chunk as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
        made.push(sum);
        sums.push(sum);
      }
      terms = sums;
    }
    const out = original.kernelFunc({ ...args, inputs: terms as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
    free(args.backend, ...made);
    return out;
  });
}
