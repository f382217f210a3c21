// DepthwiseConv2dNativeBackpropInput (the input gradient of depthwiseConv2d), missing on wasm, as a
// composite: a forward depthwise conv of the stride-dilated dy with the spatially flipped filter.
import * as tf from '@tensorflow/tfjs';
import { inputGradientByForwardOp, intermediates, kernelRunner } from './composite.js';

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
  const { batchSize: b, inHeight: h, inWidth: w, inChannels: ci, filterHeight: kh, filterWidth: kw, dilationHeight: dh, dilationWidth: dw } = info;
  const cm = filter.shape[3] ?? 1; // channel multiplier
  const [, , , c = 0] = dy.shape; // c = ci * cm
  const run = kernelRunner(backendName, backend);
  const { keep, release } = intermediates(backend);
  const flipped = keep(run(tf.Reverse, { x: filter }, { dims: [0, 1] }));
  const f = keep(run(tf.Reshape, { x: flipped }, { shape: [kh, kw, c, 1] })); // multiplier folded into channels
  let out = inputGradientByForwardOp(run, dy, info, keep, (d, padding) =>
    run(tf.DepthwiseConv2dNative, { x: d, filter: f }, { strides: [1, 1], dilations: [dh, dw], pad: padding }));
  if (cm > 1) {
    // [b, h, w, ci*cm] -> [b, h, w, ci, cm] summed over the multiplier.
    const r = keep(run(tf.Reshape, { x: keep(out) }, { shape: [b, h, w, ci, cm] }));
    out = run(tf.Sum, { x: r }, { axis: [4], keepDims: false });
  }
  release();
  return out;
}
