// Helpers for kernels built as composites of other kernels of the same backend: the composite calls
// their kernel functions directly (not through the engine), so it must free its intermediates itself.
import * as tf from '@tensorflow/tfjs';

/** Replaces kernel `name` of `backendName` with `wrap(original)`, keeping the original's setupFunc (wasm binds
 * its C function there when the backend starts, and the original may still be called). */
export function wrapKernel(name: string, backendName: string, wrap: (original: tf.KernelConfig) => tf.KernelFunc): void {
  const original = tf.getKernel(name, backendName) as tf.KernelConfig | undefined;
  if (!original) throw new Error(`kernel ${name} is not registered for backend '${backendName}'`);
  tf.unregisterKernel(name, backendName);
  tf.registerKernel({ kernelName: name, backendName, ...(original.setupFunc && { setupFunc: original.setupFunc }), kernelFunc: wrap(original) });
}

/** Runs kernel `name` of `backendName` on `inputs`; throws if that backend lacks it. */
export function callKernel(
  name: string,
  backendName: string,
  backend: object,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap = {},
): tf.TensorInfo {
  const config = tf.getKernel(name, backendName) as tf.KernelConfig | undefined;
  if (config === undefined) throw new Error(`kernel ${name} is not registered for backend '${backendName}'`);
  const out = config.kernelFunc({ inputs, backend, attrs });
  if (Array.isArray(out)) throw new Error(`kernel ${name} returned ${out.length} outputs, expected one`);
  return out;
}

/**
 * Frees intermediates. Data-sharing kernels (Reshape on wasm and webgpu) only bump a reference count,
 * so disposing a reshaped view and its source is right: the data goes when the last holder lets go.
 */
export function free(backend: object, ...infos: tf.TensorInfo[]): void {
  for (const info of infos) (backend as tf.KernelBackend).disposeData(info.dataId);
}

/** Normalizes a stride or dilation attribute to [height, width]. */
export function pair(value: number | readonly number[]): [number, number] {
  if (typeof value === 'number') return [value, value];
  const [h, w] = value;
  if (h === undefined || w === undefined) throw new Error(`expected a pair, got [${value.join(', ')}]`);
  return [h, w];
}

/**
 * Spreads dy [b, oh, ow, c] to [b, oh*sh, ow*sw, c]: dy at the multiples of the stride, zeros between
 * and after (as [b*oh, 1, ow, 1, c] padded after by s - 1). Intermediates go to `keep` for freeing.
 */
export function dilateByStride(
  backendName: string,
  backend: object,
  dy: tf.TensorInfo,
  [sh, sw]: [number, number],
  keep: (t: tf.TensorInfo) => tf.TensorInfo,
): tf.TensorInfo {
  if (sh === 1 && sw === 1) return dy;
  const [b = 0, oh = 0, ow = 0, c = 0] = dy.shape;
  const r = keep(callKernel(tf.Reshape, backendName, backend, { x: dy }, { shape: [b * oh, 1, ow, 1, c] }));
  const paddings = [[0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]];
  const padded = keep(callKernel(tf.PadV2, backendName, backend, { x: r }, { paddings, constantValue: 0 }));
  return keep(callKernel(tf.Reshape, backendName, backend, { x: padded }, { shape: [b, oh * sh, ow * sw, c] }));
}
