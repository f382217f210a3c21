// Milliseconds of each wasm kernel override against the kernel it replaced, on the calls the small cnn and
// the mlp make at batch 64, with fresh inputs every call (XNNPACK caches packed weights by tensor id: a
// reused input hides the repacking that training pays every step). Calls alternate off/on; medians.
// With --popcount: the estimator's blockCounts at the CIFAR-100 and ImageNet block shapes instead, min of
// --repeats, against the blockCounts of a --baseline .wat (e.g. main's) in the same process, calls alternated.
//   node dist/scripts/bench-kernels.js [--repeats 15] [--only Conv2DBackpropInput,...]
//   node dist/scripts/bench-kernels.js --popcount [--repeats 5] [--baseline OLD.wat]
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import wabt from 'wabt';
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

/** The estimator's pair popcount of one kernel module. */
interface BlockCounts {
  memory: WebAssembly.Memory;
  blockCounts(a: number, na: number, b: number, nb: number, stride: number, chunks: number, out: number): void;
}

const instantiate = (bytes: BufferSource): BlockCounts => new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as BlockCounts;

/** The module assembled from a .wat file, as scripts/assemble-wasm.ts does. */
async function assemble(path: string): Promise<BlockCounts> {
  const module = (await wabt()).parseWat(path, await readFile(path, 'utf8'), { simd: true });
  const { buffer } = module.toBinary({});
  module.destroy();
  return instantiate(new Uint8Array(buffer));
}

/** Milliseconds of one blockCounts of `na` random rows against `nb` (bit densities 0.5 and 0.7, as subsets and
 * correct predictions), `chunks` v128 each, over the same bits in every kernel; checks they all agree. */
function benchBlock(kernels: Map<string, BlockCounts>, na: number, nb: number, chunks: number, repeats: number): Map<string, number> {
  const stride = chunks * 16;
  const words = (na + nb) * chunks * 4;
  const bits = new Uint32Array(words);
  let state = 12345;
  const random = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (let w = 0; w < words; w++) {
    let word = 0;
    for (let bit = 0; bit < 32; bit++) if (random() < (w < na * chunks * 4 ? 0.5 : 0.7)) word |= 1 << bit;
    bits[w] = word;
  }
  const out = bits.byteLength;
  const best = new Map<string, number>();
  let expected: Int32Array | undefined;
  for (let r = -2; r < repeats; r++) { // two warm-up calls each (tier-up to TurboFan); the order alternates
    for (const [name, kernel] of r % 2 === 0 ? [...kernels] : [...kernels].reverse()) {
      const needed = out + na * nb * 4 - kernel.memory.buffer.byteLength;
      if (needed > 0) kernel.memory.grow(Math.ceil(needed / 65536));
      new Uint32Array(kernel.memory.buffer, 0, words).set(bits);
      const counts = new Int32Array(kernel.memory.buffer, out, na * nb);
      counts.fill(0);
      const start = performance.now();
      kernel.blockCounts(0, na, na * stride, nb, stride, chunks, out);
      const ms = performance.now() - start;
      if (r >= 0) best.set(name, Math.min(best.get(name) ?? Infinity, ms));
      expected ??= counts.slice();
      if (counts.some((count, k) => count !== expected![k])) throw new Error(`blockCounts of ${name} differs at ${na} x ${nb} x ${chunks} chunks`);
    }
  }
  return best;
}

async function benchPopcount(repeats: number, baseline: string | undefined): Promise<void> {
  const kernels = new Map<string, BlockCounts>();
  if (baseline) kernels.set('baseline', await assemble(baseline));
  kernels.set('this build', instantiate(await readFile(new URL('../src/estimate/bit-kernels.wasm', import.meta.url))));
  console.log(`blockCounts, min of ${repeats} calls after 2 warm-up calls (kernels alternate)`);
  console.log(`shape                                         ${[...kernels.keys()].map((name) => `${name} ms`.padStart(14)).join('')}   G word-ops/s`);
  const shapes = [ // a class block at the bench-estimate shapes: ceil(t / 128) chunks
    ['CIFAR-100, t 4000: 500 x 100 x 32 chunks', 500, 100, 32],
    ['ImageNet, t 1000: 1281 x 50 x 8 chunks', 1281, 50, 8],
    ['CIFAR-100, t 16,000: 500 x 100 x 125 chunks', 500, 100, 125],
  ] as const;
  for (const [label, na, nb, chunks] of shapes) {
    const best = benchBlock(kernels, na, nb, chunks, repeats);
    const ms = [...best.values()];
    const rate = (na * nb * chunks * 4) / (ms[ms.length - 1]! * 1e6);
    console.log(`${label.padEnd(46)}${ms.map((m) => m.toFixed(2).padStart(14)).join('')}   ${rate.toFixed(1).padStart(6)}${ms.length > 1 ? `   (${(ms[0]! / ms[1]!).toFixed(2)}x)` : ''}`);
  }
}

const { values } = parseArgs({ options: { repeats: { type: 'string' }, only: { type: 'string' }, popcount: { type: 'boolean', default: false }, baseline: { type: 'string' } } });
if (values.popcount) {
  await benchPopcount(Number(values.repeats ?? '5'), values.baseline);
  process.exit(0);
}
const repeats = Number(values.repeats ?? '15');
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
