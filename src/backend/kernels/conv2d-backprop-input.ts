// Conv2DBackpropInput (the input gradient of conv2d) for wasm as a composite: one forward Conv2D (XNNPACK)
// of the stride-dilated dy with the spatially flipped, in/out-swapped filter. wasm's own kernel is a
// scalar loop: 184 ms at batch 64, [64,16,16,64] dy with a [3,3,32,64] filter, against ~15 ms for this.
import * as tf from '@tensorflow/tfjs';
import { inputGradientByForwardOp, intermediates, kernelRunner } from './composite.js';

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
  const run = kernelRunner(backendName, backend);
  const { keep, release } = intermediates(backend);
  const flipped = keep(run(tf.Reverse, { x: filter }, { dims: [0, 1] }));
  const swapped = keep(run(tf.Transpose, { x: flipped }, { perm: [0, 1, 3, 2] })); // [kh, kw, co, ci]
  const out = inputGradientByForwardOp(run, dy, info, keep, (d, padding) =>
    run(tf.Conv2D, { x: d, filter: swapped }, { strides: [1, 1], pad: padding, dataFormat: 'NHWC', dilations: [1, 1] }));
  release();
  return out;
}
