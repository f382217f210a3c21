// Training throughput benchmark: images per second of the trial runner's own training step (fitNetworks of
// src/train/sgd.ts: gather the batch from a tensor, oneHot, softmax cross-entropy, momentum SGD 0.9 with the
// default warm-up/linear-decay lr set every step), on random data, at a fixed batch size; warm-up steps
// excluded, median of R repeats. Default cases: mlp and cnn on 32x32x3 (CIFAR's shape) and mlp on 16x16x1
// (the synthetic-longtail default), 10 classes, batch 64. With --torch, the same architectures (equal
// trainable parameter counts, asserted), loss, optimizer, lr schedule and batch size in PyTorch
// (scripts/bench_train_torch.py), one thread; the two take turns repeat by repeat, so that both see the
// same machine load, and the ratio is the median of the per-repeat ratios.
//   node dist/scripts/bench-train.js [--backend wasm] [--models mlp,cnn,mlp:16x16x1] [--batch 64] [--steps N (default ~2 s)]
//        [--warmup W] [--repeats R] [--json out.json] [--torch] [--device cpu|cuda] [--e2e] [--ensemble K]
//        [--without Conv2DBackpropInput,...]   (leave these wasm kernel overrides off)
//        [--ab Conv2DBackpropInput,...]        (before/after: every repeat runs with these overrides on, then off)
//   --ensemble K: the project trains K models at once (src/train/stacked-networks.ts), each on its own batch;
//        img/s counts the images of all K (PyTorch still trains one model); --e2e then runs `train --ensemble K`.
// GPU machine (no Node there; see ../shared/gpu/pack-for-device.sh):
//   node .device-pack/app/bench-train.mjs --device cuda --torch     (webgpu vs PyTorch, ResNet18 b512, ResNet50 b256)
// Results and the commands that made them: scripts/BENCHMARKS.md.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { useWasmOverrides } from '../src/backend/kernels/index.js';
import { startBackend } from '../src/backend/select.js';
import type { BackendName } from '../src/config/schema.js';
import { DEFAULT_CONFIG } from '../src/config/schema.js';
import { buildCnn } from '../src/models/cnn.js';
import { buildMlp } from '../src/models/mlp.js';
import { buildResnet18, buildResnet50 } from '../src/models/resnet.js';
import type { NetworkSpec } from '../src/models/types.js';
import { networksOf } from '../src/train/networks.js';
import { scheduleFor } from '../src/train/schedule.js';
import { fitNetworks } from '../src/train/sgd.js';

type Shape3 = [number, number, number];

/** One benchmarked network: a name the python side also knows, its builder, default input and batch. */
interface Architecture {
  build: (spec: NetworkSpec) => tf.LayersModel;
  input: Shape3;
  batch: number;
}

const CLASSES = 10;
const TARGET_SECONDS = 2; // default length of one timed repeat
const MIN_STEPS = 10;
const MAX_STEPS = 5000;
const ARCHITECTURES: Record<string, Architecture> = {
  mlp: { build: (s) => buildMlp(s, DEFAULT_CONFIG.hiddenUnits), input: [32, 32, 3], batch: DEFAULT_CONFIG.batchSize },
  cnn: { build: (s) => buildCnn(s, DEFAULT_CONFIG.hiddenUnits), input: [32, 32, 3], batch: DEFAULT_CONFIG.batchSize },
  resnet18: { build: buildResnet18, input: [32, 32, 3], batch: 512 },
  resnet50: { build: buildResnet50, input: [32, 32, 3], batch: 256 },
};

/** A model at an input shape and batch size: `mlp`, `mlp:16x16x1` (the synthetic-longtail default). */
interface Case {
  label: string;
  model: string;
  input: Shape3;
  batch: number;
}

interface Measured {
  label: string;
  model: string;
  input: Shape3;
  batch: number;
  params: number; // trainable parameters
  imagesPerSecond: number; // median over repeats
  repeats: number[]; // images/s of each repeat
}

/** With --ab: the same model with the named wasm overrides off, repeats paired with the project's. */
interface Without extends Measured {
  overrides: string[];
  pairedSpeedup: number; // median over repeats of (with overrides) / (without), each pair back to back
}

interface TorchResult extends Measured {
  pairedRatio: number; // median over repeats of project / PyTorch, each pair measured back to back
  precision: string; // fp32, or bf16-autocast
  threads: number;
  torch: string; // version
}

function parseCase(text: string, batchOverride: number | undefined): Case {
  const [model = '', shape] = text.split(':');
  const arch = ARCHITECTURES[model];
  if (!arch) throw new Error(`unknown model "${model}"; expected one of ${Object.keys(ARCHITECTURES).join(', ')} (optionally :HxWxC)`);
  let input = arch.input;
  if (shape !== undefined) {
    const dims = shape.split('x').map(Number);
    if (dims.length !== 3 || !dims.every((d) => Number.isInteger(d) && d > 0)) throw new Error(`expected an input shape HxWxC, got "${shape}"`);
    input = dims as Shape3;
  }
  return { label: `${model} ${input.join('x')}`, model, input, batch: batchOverride ?? arch.batch };
}

const median = (values: number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};


/** One side of the benchmark, set up and warmed up: `run(steps)` trains that many steps and returns images/s. */
interface Side {
  params: number;
  run(steps: number): Promise<number>;
  close(): void;
}

/** The project's side: o.ensemble models of the case on this backend, trained by fitNetworks on random normal data. */
async function projectSide(c: Case, o: Options): Promise<Side> {
  const models = Array.from({ length: o.ensemble }, (_, k) => {
    const spec: NetworkSpec = { inputShape: c.input, numClasses: CLASSES, seed: k + 1, weightDecay: DEFAULT_CONFIG.weightDecay };
    return ARCHITECTURES[c.model]!.build(spec);
  });
  // Trainable parameters of one model (countParams() also counts batch norm's moving statistics, which PyTorch keeps as buffers).
  const params = models[0]!.trainableWeights.reduce((sum, w) => sum + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);
  const networks = networksOf(models);
  const pool = 4096; // distinct random examples the batches are gathered from (as on the python side)
  const images = tf.randomNormal<tf.Rank.R4>([pool, ...c.input], 0, 1, 'float32', 2);
  const labels = tf.tidy(() => tf.randomUniform([pool], 0, CLASSES, 'int32', 3).clipByValue(0, CLASSES - 1)) as tf.Tensor1D;
  let seed = 1;
  const run = async (count: number): Promise<number> => {
    const indices = Int32Array.from({ length: count * c.batch }, (_, i) => i % pool);
    const runs = runsOver(o.ensemble, indices, () => seed++);
    // The lr schedule of a run of `count` steps (warm-up, then linear decay), set every step as in a trial.
    const settings = { epochs: 1, batchSize: c.batch, momentum: DEFAULT_CONFIG.momentum, learningRate: scheduleFor(DEFAULT_CONFIG, 1, count) };
    const start = performance.now();
    fitNetworks(networks, labels, CLASSES, runs, settings, (batch) => tf.gather(images, tf.tensor1d(batch.all, 'int32')));
    // Waits for the device to finish everything queued (a no-op on CPU backends, which run synchronously).
    await tf.tidy(() => networks.predictLogits(images.slice(0, 1))).data();
    return (count * c.batch * o.ensemble) / ((performance.now() - start) / 1000);
  };
  if (o.warmup > 0) await run(o.warmup);
  return {
    params,
    run,
    close: () => {
      networks.dispose();
      tf.dispose([images, labels]);
    },
  };
}

/** K runs over the same examples, each with its own order seed. */
function runsOver(k: number, indices: Int32Array, nextSeed: () => number): { indices: Int32Array; seed: number }[] {
  return Array.from({ length: k }, () => ({ indices, seed: nextSeed() }));
}

/** The python side, found beside this file's source (dist/scripts/ or a bundle in .device-pack/app/) or under cwd. */
function torchScript(): string {
  const candidates = [join(process.cwd(), 'scripts', 'bench_train_torch.py'), fileURLToPath(new URL('../../scripts/bench_train_torch.py', import.meta.url))];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`scripts/bench_train_torch.py not found (looked at ${candidates.join(', ')})`);
  return found;
}

/** PyTorch's side in precision `precision`: bench_train_torch.py --serve, which sets up and warms up the same
 * model once, then answers each "run <steps>" line on stdin with one JSON line {"rate": images/s}. */
async function torchSide(c: Case, o: Options, precision: string): Promise<Side & { torch: string; threads: number }> {
  const args = [
    torchScript(), '--serve', '--model', c.model, '--input', c.input.join('x'), '--classes', String(CLASSES), '--batch', String(c.batch),
    '--warmup', String(o.warmup), '--threads', String(o.threads), '--device', o.device, '--precision', precision,
    '--hidden', String(DEFAULT_CONFIG.hiddenUnits), '--lr', String(DEFAULT_CONFIG.learningRate),
    '--momentum', String(DEFAULT_CONFIG.momentum), '--warmup-fraction', String(DEFAULT_CONFIG.warmupFraction),
  ];
  const child = spawn(o.python, args, { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, OMP_NUM_THREADS: String(o.threads) } });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = new Promise<never>((_, reject) => {
    child.on('error', (error) => reject(new Error(`${o.python} failed to start: ${error.message}`)));
    child.on('exit', (code) => reject(new Error(`${o.python} ${args[0]} exited with ${code} (its stderr is above)`)));
  });
  exited.catch(() => undefined); // observed through next() below
  const next = async (): Promise<Record<string, unknown>> => {
    const line = await Promise.race([lines.next(), exited]);
    if (line.done) throw new Error(`${o.python} ${args[0]} closed its output`);
    return JSON.parse(line.value) as Record<string, unknown>;
  };
  const ready = await next();
  return {
    params: Number(ready['params']),
    torch: String(ready['torch']),
    threads: Number(ready['threads']),
    run: async (steps) => {
      child.stdin.write(`run ${steps}\n`);
      return Number((await next())['rate']);
    },
    close: () => {
      child.removeAllListeners('exit');
      child.stdin.end();
    },
  };
}

/** Measures one case: the project and PyTorch (each precision) take turns, one repeat each, so that both
 * see the same machine load; the ratio is taken per repeat and its median reported. */
async function measureCase(c: Case, o: Options): Promise<{ project: Measured; torch: TorchResult[]; without?: Without; steps: number }> {
  const project = await projectSide(c, o);
  // Without --steps: enough steps for about TARGET_SECONDS a repeat, at the speed of MIN_STEPS more warm-up
  // steps (a step of the mlp takes ~1 ms, of the cnn ~120 ms: a fixed count is either noise or minutes).
  const calibrated = async (): Promise<number> => Math.round((TARGET_SECONDS * (await project.run(MIN_STEPS))) / (c.batch * o.ensemble));
  const steps = o.steps ?? Math.min(MAX_STEPS, Math.max(MIN_STEPS, await calibrated()));
  const ab = o.ab.length > 0;
  if (ab) {
    useWasmOverrides(o.ab, false);
    if (o.warmup > 0) await project.run(o.warmup);
    useWasmOverrides(o.ab, true);
  }
  const precisions = !o.torch ? [] : o.device === 'cuda' ? ['fp32', 'bf16-autocast'] : ['fp32'];
  const sides: (Awaited<ReturnType<typeof torchSide>> & { precision: string })[] = [];
  try {
    for (const precision of precisions) sides.push({ ...(await torchSide(c, o, precision)), precision });
    for (const t of sides) {
      if (t.params !== project.params) throw new Error(`${c.label}: PyTorch has ${t.params} trainable parameters, the project ${project.params}: not the same architecture`);
    }
    const rates: number[] = [];
    const offRates: number[] = [];
    const torchRates = sides.map((): number[] => []);
    const runWithout = async (): Promise<void> => {
      useWasmOverrides(o.ab, false);
      offRates.push(await project.run(steps));
      useWasmOverrides(o.ab, true);
    };
    for (let r = 0; r < o.repeats; r++) {
      if (ab && r % 2 === 1) await runWithout(); // alternate the order: on/off, off/on, ...
      rates.push(await project.run(steps));
      if (ab && r % 2 === 0) await runWithout();
      for (const [k, t] of sides.entries()) torchRates[k]!.push(await t.run(steps));
    }
    const base = { label: c.label, model: c.model, input: c.input, batch: c.batch };
    const without: Without | undefined = ab
      ? { ...base, params: project.params, imagesPerSecond: median(offRates), repeats: offRates, overrides: [...o.ab], pairedSpeedup: median(rates.map((p, i) => p / offRates[i]!)) }
      : undefined;
    return {
      steps,
      ...(without && { without }),
      project: { ...base, params: project.params, imagesPerSecond: median(rates), repeats: rates },
      torch: sides.map((t, k) => ({
        ...base, params: t.params, imagesPerSecond: median(torchRates[k]!), repeats: torchRates[k]!,
        pairedRatio: median(rates.map((p, i) => p / torchRates[k]![i]!)), precision: t.precision, threads: t.threads, torch: t.torch,
      })),
    };
  } finally {
    project.close();
    for (const t of sides) t.close();
  }
}

/** End-to-end trials/hour of the default config: the real CLI, `workers` processes, a temporary run dir. */
function measureEndToEnd(trials: number, workers: number, ensemble: number): { trialsPerHour: number; line: string } {
  const runDir = mkdtempSync(join(tmpdir(), 'bench-e2e-'));
  const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
  try {
    const out = spawnSync(process.execPath, [cli, 'train', '--trials', String(trials), '--workers', String(workers), '--ensemble', String(ensemble), '--run-dir', join(runDir, 'run')], { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`memorize train exited with ${out.status}:\n${out.stderr}`);
    const line = out.stdout.split('\n').find((l) => l.includes('trials/min')) ?? '';
    const perMinute = /\(([\d.]+) trials\/min\)/.exec(line);
    if (!perMinute) throw new Error(`no "trials/min" in the output of memorize train:\n${out.stdout}`);
    return { trialsPerHour: Number(perMinute[1]) * 60, line: line.trim() };
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
}

interface Options {
  backend: BackendName;
  device: 'cpu' | 'cuda';
  cases: Case[];
  steps: number | undefined; // timed steps a repeat; undefined: about TARGET_SECONDS' worth
  warmup: number;
  repeats: number;
  threads: number;
  python: string;
  torch: boolean;
  json: string | undefined;
  without: string[];
  ab: string[];
  e2e: boolean;
  e2eTrials: number;
  e2eWorkers: number;
  ensemble: number; // models trained at once
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      backend: { type: 'string' },
      device: { type: 'string' },
      models: { type: 'string' },
      batch: { type: 'string' },
      steps: { type: 'string' },
      warmup: { type: 'string' },
      repeats: { type: 'string' },
      threads: { type: 'string', default: '1' },
      python: { type: 'string' },
      torch: { type: 'boolean', default: false },
      json: { type: 'string' },
      without: { type: 'string' },
      ab: { type: 'string' },
      e2e: { type: 'boolean', default: false },
      'e2e-trials': { type: 'string', default: '40' },
      'e2e-workers': { type: 'string', default: '2' },
      ensemble: { type: 'string', default: '1' },
    },
  });
  const int = (name: string, text: string | undefined, fallback: number, min = 1): number => {
    if (text === undefined) return fallback;
    const v = Number(text);
    if (!Number.isSafeInteger(v) || v < min) throw new Error(`expected --${name} to be an integer >= ${min}, got "${text}"`);
    return v;
  };
  const gpu = values.device === 'cuda' || values.backend === 'webgpu' || values.backend === 'tensorflow-gpu';
  if (values.device !== undefined && values.device !== 'cpu' && values.device !== 'cuda') throw new Error(`expected --device cpu or cuda, got "${values.device}"`);
  const device = values.device ?? (gpu ? 'cuda' : 'cpu'); // --device cpu with --backend webgpu: lavapipe against PyTorch on the CPU
  const batch = values.batch === undefined ? undefined : int('batch', values.batch, 0);
  const models = values.models ?? (gpu ? 'resnet18,resnet50' : 'mlp,cnn,mlp:16x16x1');
  return {
    backend: (values.backend ?? (gpu ? 'webgpu' : 'wasm')) as BackendName,
    device,
    cases: models.split(',').map((m) => parseCase(m.trim(), batch)),
    steps: values.steps === undefined ? undefined : int('steps', values.steps, 0),
    warmup: int('warmup', values.warmup, 5, 0),
    repeats: int('repeats', values.repeats, 5),
    threads: int('threads', values.threads, 1),
    // Debian's python3-torch here (the python3 on PATH lacks it); the GPU machine's python3 holds PyTorch.
    python: values.python ?? (device === 'cuda' || !existsSync('/usr/bin/python3') ? 'python3' : '/usr/bin/python3'),
    torch: values.torch ?? false,
    json: values.json,
    without: values.without === undefined ? [] : values.without.split(','),
    ab: values.ab === undefined ? [] : values.ab.split(','),
    e2e: values.e2e ?? false,
    e2eTrials: int('e2e-trials', values['e2e-trials'], 40),
    e2eWorkers: int('e2e-workers', values['e2e-workers'], 2),
    ensemble: int('ensemble', values.ensemble, 1),
  };
}

const fmt = (v: number | undefined, digits = 1): string => (v === undefined ? '-' : v.toFixed(digits));

function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  for (const r of rows) console.log(r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const active = await startBackend(o.backend, { skipWasmOverrides: o.without });
  const load = [loadavg()];
  if (o.ab.length > 0 && active.name !== 'wasm') throw new Error(`--ab switches wasm kernel overrides; the backend is ${active.name}`);
  console.log(`backend ${active.name}${active.device ? ` (${active.device})` : ''}${o.without.length ? ` without the overrides of ${o.without.join(', ')}` : ''}, tfjs ${tf.version.tfjs}; ${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()}; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`${o.steps ?? `~${TARGET_SECONDS} s of`} timed steps x ${o.repeats} repeats after ${o.warmup} warm-up steps; random data, ${CLASSES} classes; ${o.ensemble} model(s) at once${o.torch ? `; PyTorch ${o.device}, ${o.threads} thread(s), ${o.python}` : ''}`);
  const results: Awaited<ReturnType<typeof measureCase>>[] = [];
  for (const c of o.cases) {
    const result = await measureCase(c, o);
    const { project, torch } = result;
    results.push(result);
    console.error(`  ${c.label} b${c.batch}: ${fmt(project.imagesPerSecond)} img/s${result.without ? `, without ${o.ab.join(',')} ${fmt(result.without.imagesPerSecond)}` : ''}${torch.map((t) => `, torch ${t.precision} ${fmt(t.imagesPerSecond)}`).join('')}`);
  }
  load.push(loadavg());
  const header = ['model', 'batch', 'steps', 'params', `${active.name} img/s`, ...(o.ab.length ? [`without ${o.ab.join(',')}`, 'speed-up'] : []), ...(o.torch ? ['torch fp32 img/s', 'ratio', 'torch bf16 img/s'] : [])];
  // ratio: the median over repeats of project / PyTorch fp32, each pair run back to back.
  // speed-up: the median over repeats of with / without the --ab overrides, each pair back to back.
  const rows = results.map(({ project: p, torch, without, steps }) => {
    const fp32 = torch.find((t) => t.precision === 'fp32');
    const bf16 = torch.find((t) => t.precision === 'bf16-autocast');
    const cells = [p.label, String(p.batch), String(steps), String(p.params), fmt(p.imagesPerSecond)];
    if (without) cells.push(fmt(without.imagesPerSecond), `${without.pairedSpeedup.toFixed(3)}x`);
    if (o.torch) cells.push(fmt(fp32?.imagesPerSecond), fp32 ? fp32.pairedRatio.toFixed(3) : '-', fmt(bf16?.imagesPerSecond));
    return cells;
  });
  printTable([header, ...rows]);
  let e2e: ReturnType<typeof measureEndToEnd> | undefined;
  if (o.e2e) {
    e2e = measureEndToEnd(o.e2eTrials, o.e2eWorkers, o.ensemble);
    console.log(`end to end, default config, ${o.e2eWorkers} workers, ensemble ${o.ensemble}: ${e2e.trialsPerHour.toFixed(0)} trials/hour (${e2e.line})`);
  }
  if (o.json !== undefined) {
    const report = {
      date: new Date().toISOString(), command: process.argv.slice(1).join(' '), backend: active, tfjs: tf.version.tfjs,
      cpu: cpus()[0]?.model, cores: availableParallelism(), loadavg: { before: load[0], after: load[1] },
      without: o.without, ab: o.ab, warmup: o.warmup, repeats: o.repeats, device: o.device, threads: o.threads, ensemble: o.ensemble,
      results: results.map(({ project, torch, without, steps }) => ({ ...project, steps, torch, ratio: torch[0]?.pairedRatio, ...(without && { without }) })),
      ...(e2e && { endToEnd: { trials: o.e2eTrials, workers: o.e2eWorkers, ...e2e } }),
    };
    writeFileSync(o.json, `${JSON.stringify(report, null, 2)}\n`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
