// Conv2DBackpropFilter for wasm as one XNNPACK matmul: dW [kh*kw*ci, co] = patchesT . dy. The composite it
// replaces (conv2d-backprop-filter.ts: a forward conv with dy as the filter) has XNNPACK repack that big
// filter on every call: ~20 ms of its 49 at batch 64 for [64,16,16,32] -> 3x3x32x64. Here the packed operand
// is dy as it is, and a JS loop writes the transposed im2col matrix straight into the heap.
import * as tf from '@tensorflow/tfjs';
import { free, kernelRunner, type KernelRunner } from './composite.js';
import { parseConv2DBackpropFilter } from './conv2d-backprop-filter.js';
import { f32, heapBackend } from './heap.js';

/** Replaces `backendName`'s (wasm's) Conv2DBackpropFilter with the im2col matmul (NHWC, dilation 1). */
export function registerIm2colConv2DBackpropFilter(backendName: string): void {
  if (tf.getKernel(tf.Conv2DBackpropFilter, backendName) !== undefined) tf.unregisterKernel(tf.Conv2DBackpropFilter, backendName);
  tf.registerKernel({
    kernelName: tf.Conv2DBackpropFilter,
    backendName,
    kernelFunc: ({ inputs, backend, attrs = {} }) => {
      const { x, dy, info } = parseConv2DBackpropFilter(backendName, inputs, attrs);
      return im2colProduct(kernelRunner(backendName, backend), backend, x, dy, info);
    },
  });
}

/**
 * wasm, any stride: dW [kh*kw*ci, co] = patchesT [kh*kw*ci, b*oh*ow] . dy [b*oh*ow, co], one XNNPACK
 * matmul whose packed operand is dy as it is (no transpose). The transposed im2col matrix is written by a
 * JS loop straight into the heap from xT = x transposed to [ci, b, h, w] (so that each patch row is a
 * contiguous run of an image row): patchesT[(i*kw + j)*ci + c][(n*oh + p)*ow + q] = xpad[n, p*sh + i, q*sw + j, c].
 */
function im2colProduct(run: KernelRunner, backendObject: object, x: tf.TensorInfo, dy: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const { batchSize: b, inHeight: h, inWidth: w, inChannels: ci, outChannels: co, outHeight: oh, outWidth: ow } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, padInfo } = info;
  const backend = heapBackend(backendObject, 'Conv2DBackpropFilter');
  const pixels = b * oh * ow;
  const xT = ci === 1 ? x : run(tf.Transpose, { x }, { perm: [3, 0, 1, 2] }); // [ci, b, h, w]
  const patches = backend.makeOutput([1, kh * kw * ci, pixels], 'float32');
  const src = f32(backend, xT); // views after the allocation, which may grow the heap
  const out = f32(backend, patches);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      // Output columns q whose input column q*sw + j - left lies inside the image: [qLo, qHi).
      const shift = j - padInfo.left;
      const qLo = Math.min(ow, Math.max(0, Math.ceil(-shift / sw)));
      const qHi = Math.max(qLo, Math.min(ow, Math.ceil((w - shift) / sw)));
      for (let c = 0; c < ci; c++) {
        let at = ((i * kw + j) * ci + c) * pixels;
        for (let n = 0; n < b; n++) {
          for (let p = 0; p < oh; p++, at += ow) {
            const r = p * sh + i - padInfo.top;
            if (r < 0 || r >= h) {
              out.fill(0, at, at + ow);
              continue;
            }
            const row = ((c * b + n) * h + r) * w + shift;
            for (let q = 0; q < qLo; q++) out[at + q] = 0;
            if (sw === 1) {
              for (let q = qLo; q < qHi; q++) out[at + q] = src[row + q]!;
            } else {
              for (let q = qLo; q < qHi; q++) out[at + q] = src[row + q * sw]!;
            }
            for (let q = qHi; q < ow; q++) out[at + q] = 0;
          }
        }
      }
    }
  }
  if (xT !== x) free(backendObject, xT);
  const dy3 = run(tf.Reshape, { x: dy }, { shape: [1, pixels, co] });
  const prod = run(tf.BatchMatMul, { a: patches, b: dy3 }, { transposeA: false, transposeB: false });
  const dW = run(tf.Reshape, { x: prod }, { shape: [kh, kw, ci, co] });
  free(backendObject, patches, dy3, prod);
  return dW;
}
