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

/** Runs a kernel of one backend: callKernel with the backend bound, as a composite calls its parts. */
export type KernelRunner = (name: string, inputs: tf.NamedTensorInfoMap, attrs?: tf.NamedAttrMap) => tf.TensorInfo;

export function kernelRunner(backendName: string, backend: object): KernelRunner {
  return (name, inputs, attrs = {}) => callKernel(name, backendName, backend, inputs, attrs);
}

/** A composite's intermediates: `keep(t)` records t and returns it, `release()` frees all of them. */
export function intermediates(backend: object): { keep: (t: tf.TensorInfo) => tf.TensorInfo; release: () => void } {
  const kept: tf.TensorInfo[] = [];
  return {
    keep: (t) => {
      kept.push(t);
      return t;
    },
    release: () => free(backend, ...kept),
  };
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
function dilateByStride(run: KernelRunner, dy: tf.TensorInfo, [sh, sw]: [number, number], keep: (t: tf.TensorInfo) => tf.TensorInfo): tf.TensorInfo {
  if (sh === 1 && sw === 1) return dy;
  const [b = 0, oh = 0, ow = 0, c = 0] = dy.shape;
  const r = keep(run(tf.Reshape, { x: dy }, { shape: [b * oh, 1, ow, 1, c] }));
  const paddings = [[0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]];
  const padded = keep(run(tf.PadV2, { x: r }, { paddings, constantValue: 0 }));
  return keep(run(tf.Reshape, { x: padded }, { shape: [b, oh * sh, ow * sw, c] }));
}

/**
 * The input gradient [b, h, w, c] of a strided, padded window op (conv2d, depthwise conv) of geometry `info`,
 * as the same op run forward at stride 1 over dy: dy is dilated by the stride, then padded so that the output
 * has exactly h rows and w columns. dx[y] = sum_i D[y + top - i*dh] f[i] = sum_i' Dpad[y + i'*dh] fflip[i'],
 * Dpad = D padded by (kh-1)*dh - top before (the same for columns); a negative pad (explicit pads wider than
 * the filter, or the stride's trailing zeros) becomes a crop instead. `forward(d, pad)` runs the op with the
 * flipped filter on d with that explicit padding. Intermediates go to `keep`.
 */
export function inputGradientByForwardOp(
  run: KernelRunner,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  keep: (t: tf.TensorInfo) => tf.TensorInfo,
  forward: (d: tf.TensorInfo, pad: tf.backend_util.ExplicitPadding) => tf.TensorInfo,
): tf.TensorInfo {
  const { batchSize: b, inHeight: h, inWidth: w, filterHeight: kh, filterWidth: kw, padInfo } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const d = dilateByStride(run, dy, [sh, sw], keep);
  const padTop = (kh - 1) * dh - padInfo.top;
  const padLeft = (kw - 1) * dw - padInfo.left;
  const padBottom = h + (kh - 1) * dh - padTop - (d.shape[1] ?? 0);
  const padRight = w + (kw - 1) * dw - padLeft - (d.shape[2] ?? 0);
  const out = forward(d, [[0, 0], [Math.max(0, padTop), Math.max(0, padBottom)], [Math.max(0, padLeft), Math.max(0, padRight)], [0, 0]]);
  if (out.shape[1] === h && out.shape[2] === w) return out;
  return run(tf.Slice, { x: keep(out) }, { begin: [0, Math.max(0, -padTop), Math.max(0, -padLeft), 0], size: [b, h, w, out.shape[3] ?? 0] });
}
