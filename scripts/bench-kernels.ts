// Milliseconds of each wasm kernel override against the kernel it replaced, on the calls the small cnn and
// the mlp make at batch 64, with fresh inputs every call (XNNPACK caches packed weights by tensor id: a
// reused input hides the repacking that training pays every step). Calls alternate off/on; medians.
//   node dist/scripts/bench-kernels.js [--repeats 15] [--only Conv2DBackpropInput,...]
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { useWasmOverrides, WASM_OVERRIDE_NAMES } from '../src/backend/kernels/index.js';
import { startBackend } from '../src/backend/select.js';

type Shape = number[];

/** One kernel call: its inputs (made fresh for every call) and the call itself. */
interface Call {
  kernel: string;
  label: string;
  inputs: () => tf.Tensor[];
  run: (inputs: tf.Tensor[]) => tf.Tensor;
}

const randn = (shape: Shape): tf.Tensor => tf.randomNormal(shape);
const kernelCall = (name: string, names: string[], attrs: object) => (inputs: tf.Tensor[]): tf.Tensor =>
  tf.engine().runKernel<tf.Tensor>(name, Object.fromEntries(names.map((n, i) => [n, inputs[i]!])), attrs as tf.NamedAttrMap);

const CALLS: Call[] = [
  { kernel: tf.Conv2DBackpropInput, label: 'dy [64,16,16,64], filter [3,3,32,64] (cnn conv 2)', inputs: () => [randn([64, 16, 16, 64]), randn([3, 3, 32, 64])],
    run: kernelCall(tf.Conv2DBackpropInput, ['dy', 'filter'], { strides: 1, pad: 'same', dataFormat: 'NHWC', inputShape: [64, 16, 16, 32] }) },
  ...([[64, 32, 32, 32], [64, 16, 16, 64]] as const).map(([b, h, w, c]): Call => ({
    kernel: tf.MaxPoolGrad, label: `x [${b},${h},${w},${c}] 2x2/2, after relu`,
    inputs: () => tf.tidy(() => { const x = tf.relu(randn([b, h, w, c])); return [randn([b, h / 2, w / 2, c]), x, tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid')]; }),
    run: kernelCall(tf.MaxPoolGrad, ['dy', 'input', 'output'], { filterSize: 2, strides: 2, pad: 'valid' }),
  })),
  ...([[64, 32, 32, 3, 32], [64, 16, 16, 32, 64]] as const).map(([b, h, w, ci, co]): Call => ({
    kernel: tf.Conv2DBackpropFilter, label: `x [${b},${h},${w},${ci}], dy [${b},${h},${w},${co}] (3x3 same)`,
    inputs: () => [randn([b, h, w, ci]), randn([b, h, w, co])],
    run: kernelCall(tf.Conv2DBackpropFilter, ['x', 'dy'], { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, ci, co] }),
  })),
  { kernel: tf.BatchMatMul, label: 'dy [64,128] . W[4096,128]^T (cnn dense input gradient)', inputs: () => [randn([1, 64, 128]), randn([1, 4096, 128])],
    run: kernelCall(tf.BatchMatMul, ['a', 'b'], { transposeA: false, transposeB: true }) },
  { kernel: tf.BatchMatMul, label: 'x [64,4096]^T . dy [64,128] (cnn dense weight gradient)', inputs: () => [randn([1, 64, 4096]), randn([1, 64, 128])],
    run: kernelCall(tf.BatchMatMul, ['a', 'b'], { transposeA: true, transposeB: false }) },
  { kernel: tf.SplitV, label: '[256,32,32,32] into 4 (a stacked cnn step, --ensemble 4)', inputs: () => [randn([256, 32, 32, 32])], run: ([x]) => {
    const [first, ...rest] = tf.split(x!, 4);
    tf.dispose(rest);
    return first!;
  } },
  { kernel: tf.GatherV2, label: '64 rows of [4096,32,32,3] (the batch)', inputs: () => [randn([4096, 32, 32, 3]), tf.randomUniform([64], 0, 4096, 'int32')],
    run: ([x, i]) => tf.gather(x!, i!) },
  { kernel: tf.GatherV2, label: '64 of [4096] int32 (the labels)', inputs: () => [tf.randomUniform([4096], 0, 10, 'int32'), tf.randomUniform([64], 0, 4096, 'int32')],
    run: ([x, i]) => tf.gather(x!, i!) },
  ...([[64, 32, 32, 32], [64, 16, 16, 64]] as const).map((shape): Call => ({
    kernel: tf.Sum, label: `[${shape.join(',')}] over axes 0,1,2 (conv bias gradient)`, inputs: () => [randn([...shape])], run: ([x]) => tf.sum(x!, [0, 1, 2]),
  })),
  { kernel: tf.Identity, label: '[64,32,32,32] (a tensor saved for the backward pass)', inputs: () => [randn([64, 32, 32, 32])], run: ([x]) => tf.clone(x!) },
  { kernel: tf.Cast, label: '[64,32,32,32] float32 to float32 (ReLU gradient of cnn conv 1)', inputs: () => [randn([64, 32, 32, 32])], run: ([x]) => tf.cast(x!, 'float32') },
  { kernel: tf.Slice, label: 'rows 1024..1055 of [2000,16,16,1] (a predict batch)', inputs: () => [randn([2000, 16, 16, 1])], run: ([x]) => tf.slice(x!, [1024, 0, 0, 0], [32, 16, 16, 1]) },
];

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1]!;

/** Milliseconds of one call on fresh inputs. */
function timeOnce(call: Call): number {
  const inputs = call.inputs();
  const start = performance.now();
  const out = call.run(inputs);
  const ms = performance.now() - start;
  tf.dispose([out, ...inputs]);
  return ms;
}

const { values } = parseArgs({ options: { repeats: { type: 'string', default: '15' }, only: { type: 'string' } } });
const repeats = Number(values.repeats);
const only = values.only?.split(',') ?? WASM_OVERRIDE_NAMES;
await startBackend('wasm');
console.log(`wasm kernels, fresh inputs every call, median of ${repeats} (off and on alternate)`);
console.log('kernel                call                                                      off ms    on ms  speed-up');
for (const call of CALLS.filter((c) => only.includes(c.kernel))) {
  const off: number[] = [];
  const on: number[] = [];
  const timed = (enabled: boolean): number => {
    useWasmOverrides([call.kernel], enabled);
    return timeOnce(call);
  };
  for (let r = -2; r < repeats; r++) { // two warm-up calls each; the order alternates
    let offMs: number;
    let onMs: number;
    if (r % 2 === 0) {
      offMs = timed(false);
      onMs = timed(true);
    } else {
      onMs = timed(true);
      offMs = timed(false);
    }
    if (r >= 0) {
      off.push(offMs);
      on.push(onMs);
    }
  }
  useWasmOverrides([call.kernel], true);
  const [offMs, onMs] = [median(off), median(on)];
  console.log(`${call.kernel.padEnd(21)} ${call.label.padEnd(56)} ${offMs.toFixed(2).padStart(7)} ${onMs.toFixed(2).padStart(8)} ${(offMs / onMs).toFixed(1).padStart(8)}x`);
}
