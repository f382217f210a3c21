// MaxPoolGrad for wasm as a JavaScript loop over the heap. wasm's own kernel visits, for every input pixel,
// every window that may hold it (45 ms for [64,32,32,32] 2x2/2 at batch 64, against ~4 ms here), and picks
// the last maximum of a window, starting from FLT_MIN, so a window of negative values gets no gradient.
// This one follows the cpu backend: the first maximum of each window (row-major) takes dy; a window with
// no value above -Infinity (all NaN) passes nothing; overlapping windows add up.
import * as tf from '@tensorflow/tfjs';
import { f32, heapBackend } from './heap.js';

type Shape4 = [number, number, number, number];

/** Registers the JS MaxPoolGrad for `backendName` (wasm), replacing its own. */
export function registerMaxPoolGrad(backendName: string): void {
  if (tf.getKernel(tf.MaxPoolGrad, backendName) !== undefined) tf.unregisterKernel(tf.MaxPoolGrad, backendName);
  tf.registerKernel({ kernelName: tf.MaxPoolGrad, backendName, kernelFunc: ({ inputs, backend, attrs = {} }) => maxPoolGrad(backend, inputs, attrs) });
}

function maxPoolGrad(backendObject: object, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): tf.TensorInfo {
  const { dy, input } = inputs;
  if (dy === undefined || input === undefined) throw new Error('MaxPoolGrad needs inputs dy and input');
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(input.shape as Shape4, filterSize, strides, 1, pad, dimRoundingMode);
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { effectiveFilterHeight: fh, effectiveFilterWidth: fw, padInfo } = info;
  const backend = heapBackend(backendObject, 'MaxPoolGrad');
  const out = backend.makeOutput([...input.shape], 'float32'); // allocate before taking views
  const x = f32(backend, input);
  const g = f32(backend, dy);
  const dx = f32(backend, out);
  const tiles = strideHeight === fh && strideWidth === fw && padInfo.top === 0 && padInfo.left === 0 &&
    outHeight * fh === inHeight && outWidth * fw === inWidth;
  if (tiles && fh === 2 && fw === 2) maxPoolGrad2x2(x, g, dx, batchSize * outHeight, outWidth, c);
  else maxPoolGradAny(x, g, dx, info);
  return out;
}

/** 2x2 windows at stride 2 that tile the input (the common case): every input pixel is in exactly one
 * window, so each dx value is written once (dy or 0), with no zero fill and no accumulation. */
function maxPoolGrad2x2(x: Float32Array, g: Float32Array, dx: Float32Array, rows: number, outWidth: number, c: number): void {
  const rowStride = outWidth * 2 * c; // one input row
  for (let yr = 0; yr < rows; yr++) {
    for (let yc = 0; yc < outWidth; yc++) {
      const p00 = (yr * 2 * outWidth + yc) * 2 * c; // (2 yr, 2 yc) in the input, batch folded into rows
      const p01 = p00 + c;
      const p10 = p00 + rowStride;
      const p11 = p10 + c;
      const q = (yr * outWidth + yc) * c;
      for (let d = 0; d < c; d++) {
        const v00 = x[p00 + d]!;
        const v01 = x[p01 + d]!;
        const v10 = x[p10 + d]!;
        const v11 = x[p11 + d]!;
        // The first maximum in row-major order, strictly above -Infinity (as the cpu backend's maxPoolPositions).
        let best = -Infinity;
        let k = -1;
        if (v00 > best) { best = v00; k = 0; }
        if (v01 > best) { best = v01; k = 1; }
        if (v10 > best) { best = v10; k = 2; }
        if (v11 > best) k = 3;
        const grad = g[q + d]!;
        dx[p00 + d] = k === 0 ? grad : 0;
        dx[p01 + d] = k === 1 ? grad : 0;
        dx[p10 + d] = k === 2 ? grad : 0;
        dx[p11 + d] = k === 3 ? grad : 0;
      }
    }
  }
}

/** Any window, stride and padding: per output pixel, the first maximum of each channel's window, then dy
 * added at its position (overlapping windows add up). */
function maxPoolGradAny(x: Float32Array, g: Float32Array, dx: Float32Array, info: tf.backend_util.Conv2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { effectiveFilterHeight: fh, effectiveFilterWidth: fw, padInfo } = info; // pooling has no dilation here
  dx.fill(0);
  const best = new Float32Array(c); // per channel: the window's maximum so far
  const where = new Int32Array(c); // and its flat index in x, -1 for none
  for (let b = 0; b < batchSize; b++) {
    for (let yr = 0; yr < outHeight; yr++) {
      const r0 = yr * strideHeight - padInfo.top;
      const rMin = Math.max(0, r0);
      const rEnd = Math.min(inHeight, r0 + fh);
      for (let yc = 0; yc < outWidth; yc++) {
        const c0 = yc * strideWidth - padInfo.left;
        const cMin = Math.max(0, c0);
        const cEnd = Math.min(inWidth, c0 + fw);
        best.fill(-Infinity);
        where.fill(-1);
        // Window rows and columns outer, channels inner: contiguous reads of x.
        for (let r = rMin; r < rEnd; r++) {
          for (let col = cMin; col < cEnd; col++) {
            const base = ((b * inHeight + r) * inWidth + col) * c;
            for (let d = 0; d < c; d++) {
              const v = x[base + d]!;
              if (v > best[d]!) {
                best[d] = v;
                where[d] = base + d;
              }
            }
          }
        }
        const dyBase = ((b * outHeight + yr) * outWidth + yc) * c;
        for (let d = 0; d < c; d++) {
          const at = where[d]!;
          if (at >= 0) dx[at]! += g[dyBase + d]!;
        }
      }
    }
  }
}
