// UnsortedSegmentSum (the gradient of gather, e.g. of an embedding lookup), missing on wasm. Computed
// in JS: read x and the ids, add rows into a float64 accumulator (as the cpu backend's sums do), write
// the result back; cheaper than a one-hot matmul, whose cost grows with numSegments.
import * as tf from '@tensorflow/tfjs';

/** The KernelBackend methods used here (wasm, cpu and webgpu all have them). */
interface HostIO {
  readSync(dataId: tf.DataId): tf.BackendValues;
  write(values: tf.BackendValues, shape: number[], dtype: tf.DataType): tf.DataId;
}

/** Registers a JS-side UnsortedSegmentSum for `backendName`. */
export function registerUnsortedSegmentSum(backendName: string): void {
  tf.registerKernel({
    kernelName: tf.UnsortedSegmentSum,
    backendName,
    kernelFunc: ({ inputs, backend, attrs = {} }) => unsortedSegmentSum(backend as HostIO, inputs, attrs),
  });
}

function unsortedSegmentSum(backend: HostIO, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): tf.TensorInfo {
  const { x, segmentIds } = inputs;
  if (x === undefined || segmentIds === undefined) throw new Error('UnsortedSegmentSum needs x and segmentIds');
  const { numSegments } = attrs as unknown as tf.UnsortedSegmentSumAttrs;
  // x: [...ids.shape, ...inner], out: [numSegments, ...inner]; ids outside [0, numSegments) are dropped.
  const inner = x.shape.slice(segmentIds.shape.length);
  const innerSize = tf.util.sizeFromShape(inner);
  const xs = backend.readSync(x.dataId) as tf.TypedArray;
  const ids = backend.readSync(segmentIds.dataId) as tf.TypedArray;
  const acc = new Float64Array(numSegments * innerSize);
  for (let r = 0; r < ids.length; r++) {
    const s = ids[r] ?? -1;
    if (s < 0 || s >= numSegments) continue;
    const src = r * innerSize;
    const dst = s * innerSize;
    for (let k = 0; k < innerSize; k++) acc[dst + k] = (acc[dst + k] ?? 0) + (xs[src + k] ?? 0);
  }
  const shape = [numSegments, ...inner];
  const values = x.dtype === 'int32' ? Int32Array.from(acc) : Float32Array.from(acc);
  return { dataId: backend.write(values, shape, x.dtype), shape, dtype: x.dtype };
}
