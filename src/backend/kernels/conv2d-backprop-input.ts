// Conv2DBackpropInput (the input gradient of conv2d) for wasm as a composite: one forward Conv2D (XNNPACK)
// of the stride-dilated dy with the spatially flipped, in/out-swapped filter. wasm's own kernel is a
// scalar loop: 184 ms at batch 64, [64,16,16,64] dy with a [3,3,32,64] filter, against ~15 ms for this.
import * as tf from '@tensorflow/tfjs';
import { callKernel, dilateByStride, free, pair } from './composite.js';

type Shape4 = [number, number, number, number];

/** Registers the composite Conv2DBackpropInput for `backendName` (NHWC, dilation 1), replacing its own. */
export function registerConv2DBackpropInput(backendName: string): void {
  if (tf.getKernel(tf.Conv2DBackpropInput, backendName) !== undefined) tf.unregisterKernel(tf.Conv2DBackpropInput, backendName);
  tf.registerKernel({
    kernelName: tf.Conv2DBackpropInput,
    backendName,
    kernelFunc: ({ inputs, backend, attrs = {} }) => conv2DBackpropInput(backendName, backend, inputs, attrs),
  });
}

function conv2DBackpropInput(
  backendName: string,
  backend: object,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap,
): tf.TensorInfo {
  const { dy, filter } = inputs;
  if (dy === undefined || filter === undefined) throw new Error('Conv2DBackpropInput needs inputs dy and filter');
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  if (dataFormat !== 'NHWC') throw new Error(`Conv2DBackpropInput on ${backendName}: only NHWC is supported, got ${dataFormat}`);
  const info = tf.backend_util.computeConv2DInfo(
    inputShape, filter.shape as Shape4, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const { batchSize: b, inHeight: h, inWidth: w, inChannels: ci, filterHeight: kh, filterWidth: kw, padInfo } = info;
  const [sh, sw] = pair(strides);
  const run = (name: string, ins: tf.NamedTensorInfoMap, at: tf.NamedAttrMap = {}): tf.TensorInfo =>
    callKernel(name, backendName, backend, ins, at);
  const temps: tf.TensorInfo[] = [];
  const keep = (t: tf.TensorInfo): tf.TensorInfo => {
    temps.push(t);
    return t;
  };

  // Stride-dilate dy: [b*oh, 1, ow, 1, co] padded after by s-1 is [b, oh*sh, ow*sw, co] with dy at the
  // multiples of the stride and zeros elsewhere (the trailing zeros are cut by the bottom/right pads below).
  const d = dilateByStride(backendName, backend, dy, [sh, sw], keep);
  // dx[r] = sum_i D[r + top - i] W[i] = sum_i' Dpad[r + i'] Wflip[i'], Dpad = D padded by kh-1-top before,
  // so that the conv's output has exactly h rows (the same for columns). Negative pads become a Slice.
  const padTop = kh - 1 - padInfo.top;
  const padLeft = kw - 1 - padInfo.left;
  const padBottom = h + kh - 1 - padTop - (d.shape[1] ?? 0);
  const padRight = w + kw - 1 - padLeft - (d.shape[2] ?? 0);
  const flipped = keep(run(tf.Reverse, { x: filter }, { dims: [0, 1] }));
  const swapped = keep(run(tf.Transpose, { x: flipped }, { perm: [0, 1, 3, 2] })); // [kh, kw, co, ci]
  let out = run(tf.Conv2D, { x: d, filter: swapped }, {
    strides: [1, 1],
    pad: [[0, 0], [Math.max(0, padTop), Math.max(0, padBottom)], [Math.max(0, padLeft), Math.max(0, padRight)], [0, 0]],
    dataFormat: 'NHWC',
    dilations: [1, 1],
  });
  if (out.shape[1] !== h || out.shape[2] !== w) {
    keep(out);
    out = run(tf.Slice, { x: out }, { begin: [0, Math.max(0, -padTop), Math.max(0, -padLeft), 0], size: [b, h, w, ci] });
  }
  free(backend, ...temps);
  return out;
}
