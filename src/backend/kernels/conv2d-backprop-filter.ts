// Conv2DBackpropFilter (the filter gradient of conv2d) as a composite of Transpose, Conv2D, Slice,
// Reshape and BatchMatMul: wasm has no such kernel, and webgpu's own one is slow. On wasm this composite is
// replaced in turn by the im2col matmul of conv2d-backprop-filter-im2col.ts.
import * as tf from '@tensorflow/tfjs';
import { free, kernelRunner, pair } from './composite.js';

type Shape4 = [number, number, number, number];

/** Registers the composite Conv2DBackpropFilter for `backendName` (NHWC, dilation 1). */
export function registerConv2DBackpropFilter(backendName: string): void {
  tf.registerKernel({
    kernelName: tf.Conv2DBackpropFilter,
    backendName,
    kernelFunc: ({ inputs, backend, attrs = {} }) => conv2DBackpropFilter(backendName, backend, inputs, attrs),
  });
}

/** The inputs and the geometry of a Conv2DBackpropFilter call; only NHWC without dilation (else an error). */
export function parseConv2DBackpropFilter(backendName: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): { x: tf.TensorInfo; dy: tf.TensorInfo; info: tf.backend_util.Conv2DInfo } {
  const { x, dy } = inputs;
  if (x === undefined || dy === undefined) throw new Error('Conv2DBackpropFilter needs inputs x and dy');
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  if (dataFormat !== 'NHWC') throw new Error(`Conv2DBackpropFilter on ${backendName}: only NHWC is supported, got ${dataFormat}`);
  const dilations = attrs['dilations'] as number | number[] | undefined;
  if (dilations !== undefined && pair(dilations).some((d) => d !== 1)) {
    throw new Error(`Conv2DBackpropFilter on ${backendName}: dilations > 1 are not supported`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as Shape4, filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  return { x, dy, info };
}

function conv2DBackpropFilter(
  backendName: string,
  backend: object,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap,
): tf.TensorInfo {
  const { x, dy, info } = parseConv2DBackpropFilter(backendName, inputs, attrs);
  const { batchSize: b, inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, padInfo } = info;
  const [, oh = 0, ow = 0] = dy.shape;
  const run = kernelRunner(backendName, backend);

  if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && padInfo.top + padInfo.bottom + padInfo.left + padInfo.right === 0) {
    // 1x1, stride 1, no padding: dW[ci, co] = x[b*h*w, ci]^T . dy[b*h*w, co]. An explicit Transpose
    // then a plain matmul: wasm's BatchMatMul with transposeA is 4x slower than both together.
    const x2 = run(tf.Reshape, { x }, { shape: [b * h * w, ci] });
    const xT = run(tf.Transpose, { x: x2 }, { perm: [1, 0] });
    const a = run(tf.Reshape, { x: xT }, { shape: [1, ci, b * h * w] });
    const bm = run(tf.Reshape, { x: dy }, { shape: [1, b * oh * ow, co] });
    const prod = run(tf.BatchMatMul, { a, b: bm }, { transposeA: false, transposeB: false });
    const out = run(tf.Reshape, { x: prod }, { shape: [1, 1, ci, co] });
    free(backend, x2, xT, a, bm, prod);
    return out;
  }

  // dW[i, j, c, o] = sum_{n,p,q} xpad[n, p*sh + i, q*sw + j, c] * dy[n, p, q, o]: a forward conv of
  // xT[ci, h, w, b] (ci as batch, b as channels) with dyT[oh, ow, b, co] as the filter, dilated by the
  // stride. Its output is [ci, kh + eh, kw + ew, co]; the e extra rows/cols are dropped by trimming the
  // bottom/right pad and, where that pad is too small (valid padding), by a Slice.
  const extraH = h + padInfo.top + padInfo.bottom - (oh - 1) * sh - kh;
  const extraW = w + padInfo.left + padInfo.right - (ow - 1) * sw - kw;
  const bottom = Math.max(0, padInfo.bottom - extraH);
  const right = Math.max(0, padInfo.right - extraW);
  const xT = run(tf.Transpose, { x }, { perm: [3, 1, 2, 0] });
  const dyT = run(tf.Transpose, { x: dy }, { perm: [1, 2, 0, 3] });
  let conv = run(tf.Conv2D, { x: xT, filter: dyT }, {
    strides: [1, 1],
    pad: [[0, 0], [padInfo.top, bottom], [padInfo.left, right], [0, 0]],
    dataFormat: 'NHWC',
    dilations: [sh, sw],
  });
  free(backend, xT, dyT);
  if (conv.shape[1] !== kh || conv.shape[2] !== kw) {
    const sliced = run(tf.Slice, { x: conv }, { begin: [0, 0, 0, 0], size: [ci, kh, kw, co] });
    free(backend, conv);
    conv = sliced;
  }
  const out = run(tf.Transpose, { x: conv }, { perm: [1, 2, 0, 3] });
  free(backend, conv);
  return out;
}
