// wasm's BatchMatMul is fast only without transposes and with batch 1: then it is one XNNPACK fully-connected
// operator, which repacks its right operand b [k, n] on every call (each step's weights are new tensors).
// With transposeA (every weight gradient, x^T dy) it takes a scalar path: [64,256]^T x [64,256] took 6.8 ms
// with the attribute, 0.85 ms as an explicit Transpose then the plain product. This override makes the
// operands contiguous with the backend's own Transpose and, with transposedProduct, computes the product
// transposed, C^T = B^T A^T, where that packs less: for a dense layer's input gradient dy [64,128] .
// W[4096,128]^T, it packs dy^T (8K values) instead of W^T (512K): 9.7 ms -> ~4 ms at batch 64.
// With batch > 1 (stacked ensembles: K models' weights [K, d, u]) wasm's kernel also takes its scalar path;
// here each batch entry is instead copied out and multiplied by XNNPACK as its own batch-1 product.
import * as tf from '@tensorflow/tfjs';
import { callKernel, free } from './composite.js';
import { f32, heapBackend } from './heap.js';

/** Relative costs per value, measured on wasm (one core): XNNPACK's packing of the right operand, Transpose. */
const PACK_COST = 8;
const TRANSPOSE_COST = 3;

/** Each backend's own BatchMatMul, kept when it is first wrapped. */
const own = new Map<string, tf.KernelConfig>();

/** Swaps the last two axes of a rank-3 operand, with the backend's Transpose kernel. */
function transposeLastTwo(backendName: string, backend: object, x: tf.TensorInfo): tf.TensorInfo {
  const perm = x.shape.map((_, axis) => axis);
  const last = perm.length - 1;
  [perm[last - 1], perm[last]] = [perm[last]!, perm[last - 1]!];
  return callKernel(tf.Transpose, backendName, backend, { x }, { perm });
}

/** Replaces `backendName`'s BatchMatMul with one that transposes operands explicitly and calls the
 * backend's own kernel without transposes (registering again replaces the wrapper, never wraps it). */
export function registerContiguousBatchMatMul(backendName: string, options: { transposedProduct: boolean }): void {
  const current = tf.getKernel(tf.BatchMatMul, backendName) as tf.KernelConfig | undefined;
  if (!own.has(backendName)) {
    if (!current) throw new Error(`kernel BatchMatMul is not registered for backend '${backendName}'`);
    own.set(backendName, current);
  }
  const original = own.get(backendName)!;
  if (current) tf.unregisterKernel(tf.BatchMatMul, backendName);
  const plain = (backend: object, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo =>
    original.kernelFunc({ inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: false } }) as tf.TensorInfo;
  const product = (backend: object, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo => productPerEntry(backend, a, b, plain) ?? plain(backend, a, b);
  tf.registerKernel({
    kernelName: tf.BatchMatMul,
    backendName,
    // wasm binds the C function in setupFunc when the backend starts: keep it.
    ...(original.setupFunc && { setupFunc: original.setupFunc }),
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA = false, transposeB = false } = (attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
      if (!transposeA && !transposeB) return product(backend, a, b);
      const last = (t: tf.TensorInfo, fromEnd: number): number => t.shape[t.shape.length - fromEnd] ?? 1;
      const m = transposeA ? last(a, 1) : last(a, 2);
      const k = transposeA ? last(a, 2) : last(a, 1);
      const n = transposeB ? last(b, 2) : last(b, 1);
      // Direct: C = A'B' packs B' [k, n]. Transposed: C^T = B'^T A'^T packs A'^T [k, m], then C^T is transposed back.
      const direct = PACK_COST * k * n + TRANSPOSE_COST * ((transposeA ? m * k : 0) + (transposeB ? k * n : 0));
      const flipped = PACK_COST * k * m + TRANSPOSE_COST * ((transposeB ? 0 : k * n) + (transposeA ? 0 : m * k) + m * n);
      const temps: tf.TensorInfo[] = [];
      const contiguous = (t: tf.TensorInfo, transpose: boolean): tf.TensorInfo => {
        if (!transpose) return t;
        const out = transposeLastTwo(backendName, backend, t);
        temps.push(out);
        return out;
      };
      let out: tf.TensorInfo;
      if (!options.transposedProduct || direct <= flipped) {
        out = product(backend, contiguous(a, transposeA), contiguous(b, transposeB));
      } else {
        const outT = product(backend, contiguous(b, !transposeB), contiguous(a, !transposeA)); // C^T [.., n, m]
        temps.push(outT);
        out = transposeLastTwo(backendName, backend, outT);
      }
      free(backend, ...temps);
      return out;
    },
  });
}

/**
 * C = A B for contiguous a [..., m, k] and b [..., k, n] with more than one batch entry, as one batch-1
 * `plain` product per entry (a batch of 1 on either side is shared by all entries). Returns undefined where
 * that does not apply: batch 1 on both sides (plain's own fast case) or broadcasting other than from 1.
 */
function productPerEntry(
  backend: object,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  plain: (backend: object, a: tf.TensorInfo, b: tf.TensorInfo) => tf.TensorInfo,
): tf.TensorInfo | undefined {
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batch = tf.util.sizeFromShape(outer);
  const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
  if (batch === 1 || (batchA !== 1 && batchA !== batch) || (batchB !== 1 && batchB !== batch)) return undefined;
  const heap = heapBackend(backend, 'BatchMatMul');
  const [m = 0, k = 0] = a.shape.slice(-2);
  const n = b.shape[b.shape.length - 1] ?? 0;
  const out = heap.makeOutput([...outer, m, n], 'float32');
  // One entry of x [batch, rows, cols] as a fresh [1, rows, cols] tensor. b's must be fresh for every entry:
  // XNNPACK caches its packed weights by the tensor, so refilling one buffer would reuse the first entry's.
  const entry = (x: tf.TensorInfo, i: number, rows: number, cols: number): tf.TensorInfo => {
    const one = heap.makeOutput([1, rows, cols], 'float32');
    f32(heap, one).set(f32(heap, x).subarray(i * rows * cols, (i + 1) * rows * cols)); // views after the allocation
    return one;
  };
  for (let i = 0; i < batch; i++) {
    const ai = batchA === 1 ? a : entry(a, i, m, k);
    const bi = batchB === 1 ? b : entry(b, i, k, n);
    const ci = plain(backend, ai, bi); // [1, m, n]
    f32(heap, out).set(f32(heap, ci), i * m * n);
    free(backend, ci, ...(ai === a ? [] : [ai]), ...(bi === b ? [] : [bi]));
  }
  return out;
}
