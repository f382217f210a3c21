// Benchmark of `memorize estimate` and `memorize pairs` against a NumPy reference of the same computation
// (scripts/bench_estimate_numpy.py), on run directories written through the store modules at the paper's
// shapes with planted influence pairs. Alternates the programs, reports medians of wall time, CPU time and
// peak RSS (/usr/bin/time), checks that both select the same pairs, and times an estimate after 100 added
// trials. Results and commands: scripts/BENCHMARKS.md, "Estimation".
//   npm run build && node dist/scripts/bench-estimate.js [--shapes small,cifar,imagenet] [--repeats 3] [--dir /tmp/x]
//   (--make-only: write the run directories and keep them, for profiling)
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { hashConfig, resolveConfig } from '../src/config/schema.js';
import { encodeNpy } from '../src/store/npy.js';
import { RUN_FORMAT, RunDirectory, type RunManifest } from '../src/store/run-dir.js';
import { readColumns } from '../src/store/tables.js';
import { cachePath } from '../src/store/trial-matrix-cache.js';
import { decodeTrial } from '../src/store/trial-file.js';

interface Shape {
  name: string;
  trials: number; // t
  n: number;
  nTest: number;
  classes: number;
}

const SHAPES: Record<string, Shape> = {
  small: { name: 'small', trials: 400, n: 5000, nTest: 1000, classes: 10 },
  cifar: { name: 'CIFAR-100', trials: 4000, n: 50_000, nTest: 10_000, classes: 100 },
  imagenet: { name: 'ImageNet', trials: 1000, n: 1_281_167, nTest: 50_000, classes: 1000 },
};
const ADDED_TRIALS = 100;
const THETA_MEM = '0.25';
const THETA_INFL = '0.15';
const CLI = new URL('../src/cli/main.js', import.meta.url).pathname;
const NUMPY = new URL('../../scripts/bench_estimate_numpy.py', import.meta.url).pathname;

/** xorshift32: 32 random bits per call, fast enough for 2.6 G draws. */
function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}
const chance = (p: number): number => Math.floor(p * 2 ** 32);

/** Class c's first training example is memorized and influences class c's first test example, in every other class. */
function plantedPairs(shape: Shape): { train: Int32Array; test: Int32Array } {
  const classes = Array.from({ length: Math.floor(shape.classes / 2) }, (_, h) => 2 * h);
  // Labels are i mod classes, so class c's first examples are c.
  return { train: Int32Array.from(classes), test: Int32Array.from(classes) };
}

/** A run directory at `shape`: subsets of m = 0.7 n, training examples right with 0.95 inside and 0.85 outside the
 * subset (memorized ones 0.1), test examples right with 0.7, a planted pair's test example 0.9 with its train
 * example in the subset and 0.2 without. */
async function makeRun(dir: string, shape: Shape, trials: readonly number[]): Promise<RunDirectory> {
  const runDir = new RunDirectory(dir);
  const config = resolveConfig({ dataset: `bench-${shape.name}`, model: 'bench', trials: shape.trials, subsetRatio: 0.7 });
  const manifest: RunManifest = {
    format: RUN_FORMAT,
    config,
    configHash: hashConfig(config),
    dataset: { name: `bench-${shape.name}`, fingerprint: 'bench', n: shape.n, nTest: shape.nTest, numClasses: shape.classes, imageShape: [1, 1, 1] },
    m: Math.round(0.7 * shape.n),
    trials: shape.trials,
    seed: 0,
    versions: {},
    createdAt: new Date().toISOString(),
  };
  const labels = (count: number) => Int32Array.from({ length: count }, (_, i) => i % shape.classes);
  await runDir.createOrCheck(manifest, { label: labels(shape.n) }, { label: labels(shape.nTest) });
  const planted = plantedPairs(shape);
  const memorized = new Uint8Array(shape.n);
  for (const i of planted.train) memorized[i] = 1;
  const partner = new Int32Array(shape.nTest).fill(-1);
  planted.test.forEach((j, p) => (partner[j] = planted.train[p]!));
  const subset = new Uint8Array(shape.n);
  const trainCorrect = new Uint8Array(shape.n);
  const testCorrect = new Uint8Array(shape.nTest);
  const order = Int32Array.from({ length: shape.n }, (_, i) => i);
  for (const k of trials) {
    const random = xorshift(0x9e3779b9 ^ Math.imul(k + 1, 0x85ebca6b));
    // Exactly m examples (run.json's m), by a partial Fisher-Yates shuffle.
    subset.fill(0);
    for (let a = 0; a < manifest.m; a++) {
      const b = a + Math.floor((random() / 2 ** 32) * (shape.n - a));
      const chosen = order[b]!;
      order[b] = order[a]!;
      order[a] = chosen;
      subset[chosen] = 1;
    }
    for (let i = 0; i < shape.n; i++) {
      trainCorrect[i] = random() < (subset[i] ? chance(0.95) : memorized[i] ? chance(0.1) : chance(0.85)) ? 1 : 0;
    }
    for (let j = 0; j < shape.nTest; j++) {
      const i = partner[j]!;
      testCorrect[j] = random() < (i < 0 ? chance(0.7) : subset[i] ? chance(0.9) : chance(0.2)) ? 1 : 0;
    }
    await runDir.writeTrial({ trial: k, seed: k, subset, trainCorrect, testCorrect, trainAccuracy: 0, testAccuracy: 0.7, seconds: 0 }, { configHash: manifest.configHash, dataset: manifest.dataset.name, backend: 'bench' });
  }
  return runDir;
}

/** What the NumPy reference needs beside the trial files: the bitmaps' byte offsets and the labels as .npy. */
function writeNumpyInputs(runDir: RunDirectory, shape: Shape, inputs: string): void {
  mkdirSync(inputs, { recursive: true });
  const bytes = readFileSync(join(runDir.trialsDir, 'trial-000000.arrow'));
  const stored = decodeTrial(bytes, 'trial-000000.arrow', shape);
  const offset = (view: { bytes: Uint8Array; bitOffset: number }): number => {
    if (view.bitOffset !== 0) throw new Error('bench: a bitmap starts inside a byte');
    return view.bytes.byteOffset - bytes.byteOffset;
  };
  writeFileSync(join(inputs, 'offsets.json'), JSON.stringify({ n: shape.n, nTest: shape.nTest, classes: shape.classes, subset: offset(stored.subset), trainCorrect: offset(stored.trainCorrect), testCorrect: offset(stored.testCorrect) }));
  const labels = (count: number) => Int32Array.from({ length: count }, (_, i) => i % shape.classes);
  writeFileSync(join(inputs, 'train_labels.npy'), encodeNpy(labels(shape.n), [shape.n]));
  writeFileSync(join(inputs, 'test_labels.npy'), encodeNpy(labels(shape.nTest), [shape.nTest]));
}

interface Timing {
  wall: number; // s
  cpu: number; // user + system, s
  rssMiB: number; // peak resident set
}

/** Runs a command under /usr/bin/time; refuses a failure. */
function timed(command: string, args: string[]): Timing & { stdout: string } {
  const result = spawnSync('/usr/bin/time', ['-f', '@@ %e %U %S %M', command, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const line = result.stderr.split('\n').find((l) => l.startsWith('@@ '));
  if (result.status !== 0 || !line) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr.slice(-2000)}`);
  const [wall, user, system, rss] = line.slice(3).split(' ').map(Number) as [number, number, number, number];
  return { wall, cpu: user + system, rssMiB: rss / 1024, stdout: result.stdout };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const summary = (runs: Timing[]): Timing => ({ wall: median(runs.map((r) => r.wall)), cpu: median(runs.map((r) => r.cpu)), rssMiB: median(runs.map((r) => r.rssMiB)) });
const show = (t: Timing): string => `${t.wall.toFixed(2)} s wall, ${t.cpu.toFixed(2)} CPU-s, ${t.rssMiB.toFixed(0)} MiB`;

async function pairKeys(runDir: RunDirectory, nTest: number): Promise<Set<number>> {
  const { columns } = await readColumns(runDir.path('pairs.arrow'), ['train_index', 'test_index'], 'run memorize pairs');
  const train = columns.train_index as Int32Array;
  const test = columns.test_index as Int32Array;
  return new Set(Array.from(train, (i, r) => i * nTest + test[r]!));
}

function numpyKeys(out: string, nTest: number): Set<number> {
  const read = (name: string): BigInt64Array => {
    const bytes = readFileSync(join(out, name));
    const header = bytes.readUInt16LE(8);
    return new BigInt64Array(bytes.buffer.slice(bytes.byteOffset + 10 + header, bytes.byteOffset + bytes.length));
  };
  const train = read('selected_train.npy');
  const test = read('selected_test.npy');
  return new Set(Array.from(train, (i, r) => Number(i) * nTest + Number(test[r]!)));
}

async function benchShape(shape: Shape, root: string, repeats: number, python: string, keep: boolean): Promise<void> {
  const dir = join(root, shape.name);
  rmSync(dir, { recursive: true, force: true });
  const made = Date.now();
  const runDir = await makeRun(join(dir, 'run'), shape, Array.from({ length: shape.trials }, (_, k) => k));
  if (keep) {
    writeNumpyInputs(runDir, shape, join(dir, 'numpy-inputs'));
    console.log(`made ${runDir.root} in ${((Date.now() - made) / 1000).toFixed(0)} s; kept, nothing timed`);
    return;
  }
  const inputs = join(dir, 'numpy-inputs');
  writeNumpyInputs(runDir, shape, inputs);
  const numpyOut = join(dir, 'numpy-out');
  console.log(`\n## ${shape.name}: t ${shape.trials}, n ${shape.n}, n' ${shape.nTest}, ${shape.classes} classes (made in ${((Date.now() - made) / 1000).toFixed(0)} s)`);
  const runs: Record<string, Timing[]> = { cold: [], cached: [], numpy: [], pairs: [], numpyPairs: [] };
  let estimateOut = '';
  for (let r = 0; r < repeats; r++) {
    rmSync(cachePath(runDir), { force: true });
    const cold = timed('node', [CLI, 'estimate', '--run-dir', runDir.root]);
    estimateOut = cold.stdout;
    runs['cold']!.push(cold);
    runs['numpy']!.push(timed(python, [NUMPY, 'estimate', runDir.root, inputs, numpyOut]));
    runs['cached']!.push(timed('node', [CLI, 'estimate', '--run-dir', runDir.root]));
    runs['pairs']!.push(timed('node', [CLI, 'pairs', '--run-dir', runDir.root, '--theta-mem', THETA_MEM, '--theta-infl', THETA_INFL]));
    runs['numpyPairs']!.push(timed(python, [NUMPY, 'pairs', runDir.root, inputs, numpyOut, THETA_MEM, THETA_INFL]));
    console.log(`  repeat ${r + 1}/${repeats} done, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  }
  const [cold, cached, numpy, pairs, numpyPairs] = ['cold', 'cached', 'numpy', 'pairs', 'numpyPairs'].map((k) => summary(runs[k]!)) as [Timing, Timing, Timing, Timing, Timing];
  const ours = await pairKeys(runDir, shape.nTest);
  const theirs = numpyKeys(numpyOut, shape.nTest);
  const same = ours.size === theirs.size && [...ours].every((key) => theirs.has(key));
  const planted = plantedPairs(shape);
  const found = Array.from(planted.train, (i, p) => ours.has(i * shape.nTest + planted.test[p]!)).filter(Boolean).length;
  console.log(estimateOut.trim().replace(/^/gm, '  > '));
  console.log(`  memorize estimate, cold cache : ${show(cold)}  (${(cold.wall / numpy.wall).toFixed(3)}x NumPy)`);
  console.log(`  memorize estimate, cached     : ${show(cached)}  (${(cached.wall / numpy.wall).toFixed(3)}x NumPy)`);
  console.log(`  NumPy estimate                : ${show(numpy)}`);
  console.log(`  memorize pairs (+split half)  : ${show(pairs)}  (${(pairs.wall / numpyPairs.wall).toFixed(3)}x NumPy)`);
  console.log(`  NumPy pairs (+split half)     : ${show(numpyPairs)}`);
  console.log(`  same pairs selected: ${same ? 'yes' : 'NO'} (${ours.size} memorize, ${theirs.size} NumPy); planted pairs found ${found}/${planted.train.length}`);
  if (!same) process.exitCode = 1;
  // Incremental: the cache holds every trial; 100 more trials, then estimate again.
  const before = timed('node', [CLI, 'estimate', '--run-dir', runDir.root]);
  await makeRun(runDir.root, { ...shape, trials: shape.trials + ADDED_TRIALS }, Array.from({ length: ADDED_TRIALS }, (_, k) => shape.trials + k));
  const after = timed('node', [CLI, 'estimate', '--run-dir', runDir.root]);
  rmSync(cachePath(runDir), { force: true });
  const full = timed('node', [CLI, 'estimate', '--run-dir', runDir.root]);
  console.log(`  after ${ADDED_TRIALS} added trials: ${show(after)} (cache up to date before: ${before.wall.toFixed(2)} s; without a cache: ${full.wall.toFixed(2)} s; ${(after.wall / full.wall).toFixed(3)}x)`);
  rmSync(dir, { recursive: true, force: true });
}

const { values } = parseArgs({ options: { shapes: { type: 'string', default: 'small,cifar,imagenet' }, repeats: { type: 'string', default: '3' }, dir: { type: 'string', default: '/tmp/memorize-bench-estimate' }, python: { type: 'string', default: 'python3' }, 'make-only': { type: 'boolean', default: false } } });
console.log(`# bench-estimate: node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
for (const name of values.shapes.split(',')) {
  const shape = SHAPES[name];
  if (!shape) throw new Error(`unknown shape ${name}; expected ${Object.keys(SHAPES).join(', ')}`);
  await benchShape(shape, values.dir, Number(values.repeats), values.python, values['make-only']);
}
console.log(`\nload average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
