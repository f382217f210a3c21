// DepthwiseConv2dNativeBackpropInput (the input gradient of depthwiseConv2d), missing on wasm, as a
// composite: a forward depthwise conv of the stride-dilated dy with the spatially flipped filter.
import * as tf from '@tensorflow/tfjs';
import { callKernel, dilateByStride, free, pair } from './composite.js';

/** Registers the composite DepthwiseConv2dNativeBackpropInput for `backendName` (NHWC). */
export function registerDepthwiseConv2dNativeBackpropInput(backendName: string): void {
  tf.registerKernel({
    kernelName: tf.DepthwiseConv2dNativeBackpropInput,
    backendName,
    kernelFunc: ({ inputs, backend, attrs = {} }) => depthwiseBackpropInput(backendName, backend, inputs, attrs),
  });
}

function depthwiseBackpropInput(
  backendName: string,
  backend: object,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap,
): tf.TensorInfo {
  const { dy, filter } = inputs;
  if (dy === undefined || filter === undefined) throw new Error('DepthwiseConv2dNativeBackpropInput needs dy and filter');
  const { strides, dilations, pad, dimRoundingMode, inputShape } =
    attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  const info = tf.backend_util.computeConv2DInfo(
    inputShape, filter.shape as [number, number, number, number], strides, dilations, pad, dimRoundingMode, true);
  const { batchSize: b, inHeight: h, inWidth: w, inChannels: ci, filterHeight: kh, filterWidth: kw, padInfo } = info;
  const [sh, sw] = pair(strides);
  const [dh, dw] = pair(dilations ?? 1);
  const cm = filter.shape[3] ?? 1; // channel multiplier
  const [, , , c = 0] = dy.shape; // c = ci * cm
  const run = (name: string, ins: tf.NamedTensorInfoMap, at: tf.NamedAttrMap = {}): tf.TensorInfo =>
    callKernel(name, backendName, backend, ins, at);
  const temps: tf.TensorInfo[] = [];
  const keep = (t: tf.TensorInfo): tf.TensorInfo => {
    temps.push(t);
    return t;
  };

  // Stride-dilate dy: [b*oh, 1, ow, 1, c] padded after by s-1 gives [b, oh*sh, ow*sw, c] with dy at
  // multiples of the stride and zeros elsewhere (trailing zeros are harmless).
  const d = dilateByStride(backendName, backend, dy, [sh, sw], keep);
  // dx[y] = sum_i D[y + top - i*dh] f[i] = sum_i' Dpad[y + i'*dh] fflip[i'] where Dpad = D padded by
  // (kh-1)*dh - top before, so that the conv output has exactly h rows (same for columns). A negative
  // pad (explicit pads wider than the filter, or the stride's trailing zeros) becomes a Slice instead.
  const padTop = (kh - 1) * dh - padInfo.top;
  const padLeft = (kw - 1) * dw - padInfo.left;
  const padBottom = h + (kh - 1) * dh - padTop - (d.shape[1] ?? 0);
  const padRight = w + (kw - 1) * dw - padLeft - (d.shape[2] ?? 0);
  const flipped = keep(run(tf.Reverse, { x: filter }, { dims: [0, 1] }));
  const f = keep(run(tf.Reshape, { x: flipped }, { shape: [kh, kw, c, 1] })); // multiplier folded into channels
  let out = run(tf.DepthwiseConv2dNative, { x: d, filter: f }, {
    strides: [1, 1],
    dilations: [dh, dw],
    pad: [[0, 0], [Math.max(0, padTop), Math.max(0, padBottom)], [Math.max(0, padLeft), Math.max(0, padRight)], [0, 0]],
  });
  if (out.shape[1] !== h || out.shape[2] !== w) {
    keep(out);
    out = run(tf.Slice, { x: out }, { begin: [0, Math.max(0, -padTop), Math.max(0, -padLeft), 0], size: [b, h, w, c] });
  }
  if (cm > 1) {
    // [b, h, w, ci*cm] -> [b, h, w, ci, cm] summed over the multiplier.
    const r = keep(run(tf.Reshape, { x: keep(out) }, { shape: [b, h, w, ci, cm] }));
    out = run(tf.Sum, { x: r }, { axis: [4], keepDims: false });
  }
  free(backend, ...temps);
  return out;
}
