// The paper's analyses on tiny synthetic data with knn (instant and exact): compare and split-half against a
// brute-force recomputation from the trial files, NaN-SE estimates left out, estimate --trials, train
// --exclude and the full-set mode, ablate and loo against an independent 1-nearest-neighbour, bad input.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ablate } from '../../src/commands/ablate.js';
import { compare } from '../../src/commands/compare.js';
import { estimate } from '../../src/commands/estimate.js';
import { loo } from '../../src/commands/loo.js';
import { pairs } from '../../src/commands/pairs.js';
import { train } from '../../src/commands/train.js';
import { resolveConfig, type ConfigOverrides } from '../../src/config/schema.js';
import { loadDataset } from '../../src/data/registry.js';
import type { Dataset } from '../../src/data/types.js';
import { bruteForceDifference, readTrials, rejectsUsage, runCli, tempDir } from '../helpers.js';

const TINY: ConfigOverrides = { model: 'knn', workers: 1, synthetic: { trainSize: 240, testSize: 100, classes: 4, subpopulationsPerClass: 25 } };
const N = 240;
const N_TEST = 100;

async function knnRun(dir: string, name: string, overrides: ConfigOverrides): Promise<string> {
  const runDir = join(dir, name);
  await train({ config: resolveConfig(TINY, overrides), runDir });
  return runDir;
}

const tinyData = (): Promise<Dataset> => loadDataset(resolveConfig(TINY), {});

/** Brute-force estimates of the trials `keep` accepts: mem and se per example, infl and se per same-class pair. */
function bruteEstimates(runDir: string, data: Dataset, keep: (k: number) => boolean) {
  const all = readTrials(runDir, N, N_TEST);
  const ks = all.index.map((k, slot) => (keep(k) ? slot : -1)).filter((slot) => slot >= 0);
  const subset = ks.map((s) => all.subset[s]!);
  const mem = Array.from({ length: N }, (_, i) => bruteForceDifference(subset, ks.map((s) => all.train[s]!), i, i));
  const pairsList: ({ i: number; j: number } & ReturnType<typeof bruteForceDifference>)[] = [];
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N_TEST; j++) if (data.train.labels[i] === data.test.labels[j]) pairsList.push({ i, j, ...bruteForceDifference(subset, ks.map((s) => all.test[s]!), i, j) });
  }
  return { mem, pairs: pairsList };
}

function bruteAgreement(a: number[], b: number[], inA: boolean[], inB: boolean[]) {
  const union = inA.map((v, r) => v || inB[r]!);
  const size = union.filter(Boolean).length;
  const both = inA.filter((v, r) => v && inB[r]).length;
  const difference = union.reduce((sum, u, r) => sum + (u ? Math.abs(a[r]! - b[r]!) : 0), 0);
  return { jaccard: both / size, difference: difference / size, countA: inA.filter(Boolean).length };
}

test('compare of two knn runs and a split-half equal a brute-force recomputation from the trial files', async () => {
  const dir = tempDir();
  const data = await tinyData();
  const runA = await knnRun(dir, 'a', { trials: 60, seed: 11 });
  const runB = await knnRun(dir, 'b', { trials: 60, seed: 12 });
  for (const [mode, keepA, keepB] of [
    ['runs', () => true, () => true],
    ['split-half', (k: number) => k % 2 === 0, (k: number) => k % 2 === 1],
  ] as const) {
    const result = await compare({ runA, ...(mode === 'runs' && { runB }), memCondition: 0.25 });
    const a = bruteEstimates(runA, data, keepA);
    const b = bruteEstimates(mode === 'runs' ? runB : runA, data, keepB);
    assert.equal(result.sides[0].trials, mode === 'runs' ? 60 : 30);
    let checked = 0;
    for (const row of result.rows) {
      const memIn = (e: typeof a) => e.mem.map((d) => d.atLeast(row.threshold) && Number.isFinite(d.se));
      const m = bruteAgreement(a.mem.map((d) => d.value), b.mem.map((d) => d.value), memIn(a), memIn(b));
      if (m.countA + memIn(b).filter(Boolean).length > 0) assert.ok(Math.abs(row.mem.jaccard - m.jaccard) < 1e-12 && Math.abs(row.mem.meanAbsDifference - m.difference) < 1e-9, `${mode} mem at ${row.threshold}`);
      // Thresholds are decided exactly on the counts (a pair at exactly 0.15 is kept).
      const pairIn = (e: typeof a) => e.pairs.map((p) => p.atLeast(row.threshold) && e.mem[p.i]!.atLeast(0.25) && Number.isFinite(p.se));
      const p = bruteAgreement(a.pairs.map((q) => q.value), b.pairs.map((q) => q.value), pairIn(a), pairIn(b));
      assert.equal(row.infl.countA, p.countA, `${mode} pairs of A at ${row.threshold}`);
      if (p.countA > 0) {
        assert.ok(Math.abs(row.infl.jaccard - p.jaccard) < 1e-9 && Math.abs(row.infl.meanAbsDifference - p.difference) < 1e-6, `${mode} infl at ${row.threshold}: ${row.infl.jaccard} vs ${p.jaccard}`);
        checked++;
      }
    }
    assert.ok(checked >= 10, `${mode}: pairs selected at ${checked} thresholds`);
    const atCut = result.rows.find((r) => r.threshold === 0.15)!.infl.jaccard;
    assert.ok(atCut > 0 && atCut < 1, `${mode}: J_infl(0.15) = ${atCut}, neither empty nor identical`);
    assert.ok(result.correlations.memAll > 0.5, 'two runs of an exact learner agree on mem');
    const saved = JSON.parse(readFileSync(join(runA, 'compare.json'), 'utf8')) as { mode: string; rows: { infl: { jaccard: number } }[] };
    assert.equal(saved.mode, mode);
    assert.equal(saved.rows[3]!.infl.jaccard, atCut);
  }
});

test('compare, estimate and pairs refuse bad input in one line with exit 2', async () => {
  const dir = tempDir();
  const runA = await knnRun(dir, 'a', { trials: 6, seed: 1 });
  const other = await knnRun(dir, 'other', { trials: 6, synthetic: { noise: 0.8 } });
  const cases: [string[], RegExp][] = [
    [['compare', runA, other], /were made on different data/],
    [['compare', runA, join(dir, 'nowhere')], /no run in .*nowhere/],
    [['compare', runA], /give two run directories to compare, or one with --split-half/],
    [['compare', runA, other, '--split-half'], /either two runs or --split-half/],
    [['compare', '--split-half', runA, '--mem-condition', '2'], /--mem-condition must be a number in \[0, 1\]/],
    [['estimate', '--run-dir', runA, '--trials', '5:2'], /--trials must be FIRST:LAST/],
    [['estimate', '--run-dir', runA, '--trials', '50:60'], /no finished trial of .* is in --trials 50:60 \(finished trials: 0 to 5\)/],
  ];
  for (const [args, message] of cases) {
    const result = runCli(args);
    assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  }
});

test('estimate --trials uses a range; NaN-SE estimates are never counted nor selected, and are reported', async () => {
  const dir = tempDir();
  // m = 0.99 n with 3 trials: most examples are in every subset (n_out = 0, NaN standard error).
  const runDir = await knnRun(dir, 'high-ratio', { trials: 3, subsetRatio: 0.99 });
  const trials = readTrials(runDir, N, N_TEST);
  const neverOut = Array.from({ length: N }, (_, i) => trials.subset.every((s) => s[i] === 1));
  const summary = await estimate({ runDir });
  assert.equal(summary.undefinedEstimates.neverLeftOut, neverOut.filter(Boolean).length);
  assert.ok(summary.undefinedEstimates.neverLeftOut > 200, `${summary.undefinedEstimates.neverLeftOut} examples never left out`);
  // Those have mem = p_in - 1/2 = 0.5 (knn gets every training example right): none of them may count.
  const definedMemorized = Array.from({ length: N }, (_, i) => !neverOut[i] && bruteForceDifference(trials.subset, trials.train, i, i).atLeast(0.25)).filter(Boolean).length;
  assert.equal(summary.memorizedAtQuarter, definedMemorized);
  const selected = await pairs({ runDir, thetaMem: 0.25, thetaInfl: 0.15 });
  assert.ok(selected.summary.undefinedPairs > 1000, `${selected.summary.undefinedPairs} pairs left out`);
  for (const p of selected.top) assert.ok(!neverOut[p.trainIndex] && Number.isFinite(p.se) && p.low < p.infl && p.infl <= p.high);

  const longer = await knnRun(dir, 'longer', { trials: 40 });
  const first = await estimate({ runDir: longer, trials: { first: 0, last: 9 } });
  assert.equal(first.trials, 10);
  assert.equal(first.trialRange, '0:9');
  const ranged = await pairs({ runDir: longer, thetaMem: 0.25, thetaInfl: 0.15 });
  assert.deepEqual(ranged.summary.splitHalf?.trials, [5, 5], 'the split-half uses the trials of the estimates');
  const all = await estimate({ runDir: longer });
  assert.equal(all.trials, 40);
  const full = await pairs({ runDir: longer, thetaMem: 0.25, thetaInfl: 0.15 });
  const half = await compare({ runA: longer, memCondition: 0.25 });
  assert.equal(full.summary.splitHalf?.jaccard, half.rows[3]!.infl.jaccard, "pairs' split-half Jaccard is compare --split-half's at 0.15");
});

test('train --exclude removes examples from every subset; --subset-ratio 1 trains on all that remain', async () => {
  const dir = tempDir();
  const excludeFile = join(dir, 'exclude.json');
  writeFileSync(excludeFile, JSON.stringify([5, 17, 200]));
  const configFile = join(dir, 'tiny.json');
  writeFileSync(configFile, JSON.stringify(TINY));
  const runDir = join(dir, 'excluded');
  const result = runCli(['train', '--config', configFile, '--trials', '4', '--exclude', excludeFile, '--run-dir', runDir]);
  assert.equal(result.status, 0, result.stderr);
  const manifest = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { m: number; config: { exclude: number[] }; configHash: string };
  assert.deepEqual(manifest.config.exclude, [5, 17, 200]);
  assert.equal(manifest.m, Math.round(0.7 * 237));
  for (const s of readTrials(runDir, N, N_TEST).subset) assert.ok(s[5] === 0 && s[17] === 0 && s[200] === 0 && s.reduce((a, b) => a + b, 0) === manifest.m);
  const plain = await knnRun(dir, 'plain', { trials: 1 });
  assert.notEqual((JSON.parse(readFileSync(join(plain, 'run.json'), 'utf8')) as { configHash: string }).configHash, manifest.configHash, 'the exclusion is part of the config hash');

  const fullSet = await knnRun(dir, 'full', { trials: 2, subsetRatio: 1, exclude: [3] });
  for (const s of readTrials(fullSet, N, N_TEST).subset) assert.equal(s.reduce((a, b) => a + b, 0), N - 1);

  writeFileSync(excludeFile, '[3, 999]');
  const outside = runCli(['train', '--config', configFile, '--trials', '1', '--exclude', excludeFile, '--run-dir', join(dir, 'bad')]);
  assert.equal(outside.status, 2);
  assert.match(outside.stderr, /exclusion index 999 is out of range: the training set has 240 examples \(indices 0 to 239\)/);
  writeFileSync(excludeFile, '3 -1');
  const negative = runCli(['train', '--config', configFile, '--exclude', excludeFile, '--run-dir', join(dir, 'bad')]);
  assert.equal(negative.status, 2);
  assert.match(negative.stderr, /every entry must be a training index/);
});

/** 1-nearest-neighbour by definition (squared Euclidean, ties to the lower index) among the allowed training examples. */
function nearestLabel(data: Dataset, query: Uint8Array, q: number, allowed: (i: number) => boolean): number {
  const d = data.imageShape[0] * data.imageShape[1] * data.imageShape[2];
  let best = -1;
  let bestDistance = Infinity;
  for (let i = 0; i < data.train.labels.length; i++) {
    if (!allowed(i)) continue;
    let distance = 0;
    for (let k = 0; k < d; k++) distance += (query[q * d + k]! - data.train.images[i * d + k]!) ** 2;
    if (distance < bestDistance) [best, bestDistance] = [i, distance];
  }
  return data.train.labels[best]!;
}

function bruteTestAccuracy(data: Dataset, removed: Set<number>, on?: number[]): number {
  const tests = on ?? Array.from(data.test.labels.keys());
  return tests.filter((j) => nearestLabel(data, data.test.images, j, (i) => !removed.has(i)) === data.test.labels[j]).length / tests.length;
}

test('ablate (knn, R = 1) equals 1-NN on each remainder; removing high-mem examples costs more than random ones', async () => {
  const dir = tempDir();
  const data = await tinyData();
  const runDir = await knnRun(dir, 'source', { trials: 60, seed: 4 });
  await estimate({ runDir });
  const result = await ablate({ from: runDir, thresholds: [0.25, 0.5], runs: 1, seed: 1, pairs: false });
  assert.equal(result.full.mean, bruteTestAccuracy(data, new Set()));
  const mem = readTrials(runDir, N, N_TEST);
  for (const row of result.rows!) {
    const highMem = new Set(Array.from({ length: N }, (_, i) => i).filter((i) => bruteForceDifference(mem.subset, mem.train, i, i).value >= row.threshold));
    assert.equal(row.removed, highMem.size);
    assert.equal(row.highMem.mean, bruteTestAccuracy(data, highMem), `accuracy without mem >= ${row.threshold}`);
    assert.ok(row.highMem.mean < row.random.mean, `mem >= ${row.threshold}: ${row.highMem.mean} vs random ${row.random.mean}`);
  }
  assert.equal((JSON.parse(readFileSync(join(runDir, 'ablate.json'), 'utf8')) as { rows: unknown[] }).rows.length, 2);

  await pairs({ runDir, thetaMem: 0.25, thetaInfl: 0.15 });
  const withPairs = await ablate({ from: runDir, thresholds: [], runs: 1, seed: 1, pairs: true });
  const p = withPairs.pairs!;
  const selected = JSON.parse(readFileSync(join(runDir, 'pairs.json'), 'utf8')) as { uniqueTrain: number; uniqueTest: number };
  assert.equal(p.trainRemoved, selected.uniqueTrain);
  assert.equal(p.testInfluenced, selected.uniqueTest);
  assert.ok(p.onInfluenced.full.mean - p.onInfluenced.withoutSh.mean > 3 * (p.overall.full.mean - p.overall.withoutSh.mean), 'the drop concentrates on S\'_h');
  assert.ok(p.onInfluenced.withoutSh.mean < p.onInfluenced.randomRemoved.mean);

  const again = await ablate({ from: runDir, thresholds: [0.25, 0.5], runs: 1, seed: 1, pairs: false });
  assert.deepEqual(again.rows, result.rows, 'a rerun resumes the finished models');
});

test('loo (knn, R = 1) equals exact leave-one-out memorization computed independently', async () => {
  const dir = tempDir();
  const data = await tinyData();
  const runDir = await knnRun(dir, 'source', { trials: 40, seed: 8 });
  await estimate({ runDir });
  const result = await loo({ from: runDir, examples: 10, runs: 1, seed: 2 });
  assert.equal(result.rows.length, 10);
  const mems = result.rows.map((r) => r.mem);
  assert.ok(Math.max(...mems) - Math.min(...mems) > 0.5, 'spread over the mem range');
  for (const row of result.rows) {
    const correct = (allowed: (i: number) => boolean) => (nearestLabel(data, data.train.images, row.index, allowed) === data.train.labels[row.index] ? 1 : 0);
    const exact = correct(() => true) - correct((i) => i !== row.index);
    assert.equal(row.loo, exact, `LOO mem of ${row.index}`);
  }
  assert.ok(result.correlation > 0.5, `mem_m and LOO mem correlate: ${result.correlation}`);
});

test('ablate and loo refuse bad input in one line with exit 2', async () => {
  const dir = tempDir();
  const runDir = await knnRun(dir, 'source', { trials: 10 });
  const noEstimates = runCli(['ablate', '--from', runDir, '--runs', '1']);
  assert.equal(noEstimates.status, 2);
  assert.match(noEstimates.stderr, /run `memorize estimate --run-dir .*` first/);
  await estimate({ runDir });
  const cases: [string[], RegExp][] = [
    [['ablate', '--from', join(dir, 'nowhere')], /no run in .*nowhere/],
    [['ablate'], /--from <run> is required/],
    [['ablate', '--from', runDir, '--thresholds', '0.2,1.5'], /--thresholds must be mem thresholds in \[0, 1\], got 1.5/],
    [['ablate', '--from', runDir, '--thresholds', '0.9:0.1:0.1'], /FROM:TO:STEP needs FROM <= TO/],
    [['ablate', '--from', runDir, '--pairs', '--runs', '1'], /run `memorize pairs --run-dir .*` first/],
    [['ablate', '--from', runDir, '--runs', '0'], /--runs must be an integer >= 1/],
    [['loo', '--from', runDir, '--examples', '0'], /--examples must be an integer >= 1/],
    [['loo', '--from', runDir, '--examples', '5000'], /--examples 5000 is more than the \d+ examples with defined estimates/],
  ];
  for (const [args, message] of cases) {
    const result = runCli(args);
    assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  }
  // Data that no longer match the source run's fingerprint (as if the files on disk changed) are refused.
  const manifestPath = join(runDir, 'run.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { dataset: { fingerprint: string } };
  manifest.dataset.fingerprint = '0'.repeat(64);
  writeFileSync(manifestPath, JSON.stringify(manifest));
  await rejectsUsage(loo({ from: runDir, examples: 2, runs: 1, seed: 1 }), 'the data differ from those of', 'give the --data-dir the run was made with');
});
