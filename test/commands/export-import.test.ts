// `memorize export` and `memorize import` through the real CLI: the npz holds the authors' layout with the
// run's estimates, the CSV the same numbers; runs in the authors' heldout layout (written here with int64
// indices and shuffled orders) import to estimates that equal brute force over the source arrays.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeNpy, readNpzFile, writeNpzFile } from '../../src/store/npy.js';
import { bruteForceDifference, column, randomMask, runCli, seeded, tempDir } from '../helpers.js';

function knnRun(dir: string): string {
  const config = join(dir, 'tiny.json');
  writeFileSync(config, JSON.stringify({ synthetic: { trainSize: 100, testSize: 50, classes: 4, subpopulationsPerClass: 10 } }));
  const runDir = join(dir, 'run');
  for (const args of [['train', '--config', config, '--model', 'knn', '--trials', '30', '--workers', '1'], ['estimate'], ['pairs']]) {
    const result = runCli([...args, '--run-dir', runDir]);
    assert.equal(result.status, 0, result.stderr);
  }
  return runDir;
}

test('export npz (authors\' layout) and csv hold the run\'s estimates', async () => {
  const runDir = knnRun(tempDir());
  const mem = column(join(runDir, 'estimates', 'memorization.arrow'), 'mem');
  const inflPath = join(runDir, 'estimates', 'influence.arrow');
  const [trainIndex, testIndex, infl] = ['train_index', 'test_index', 'infl'].map((c) => column(inflPath, c));
  const trainLabels = column(join(runDir, 'train-examples.arrow'), 'label');
  const testLabels = column(join(runDir, 'test-examples.arrow'), 'label');

  assert.equal(runCli(['export', '--run-dir', runDir, '--format', 'npz']).status, 0);
  const npz = await readNpzFile(join(runDir, 'export', 'estimates.npz'));
  assert.deepEqual([...npz.get('tr_labels')!.data], trainLabels);
  assert.deepEqual([...npz.get('tt_labels')!.data], testLabels);
  assert.deepEqual([...npz.get('tr_mem')!.data], mem.map(Math.fround));
  let cells = 0;
  for (let c = 0; c < 4; c++) {
    const tr = [...npz.get(`tr_classidx_${c}`)!.data] as number[];
    const tt = [...npz.get(`tt_classidx_${c}`)!.data] as number[];
    const matrix = npz.get(`infl_matrix_class${c}`)!;
    assert.deepEqual(matrix.shape, [tr.length, tt.length]);
    assert.ok(tr.every((i) => trainLabels[i] === c) && tt.every((j) => testLabels[j] === c));
    cells += matrix.data.length;
    for (let r = 0; r < infl!.length; r++) {
      if (trainLabels[trainIndex![r]!] !== c) continue;
      assert.equal(matrix.data[tr.indexOf(trainIndex![r]!) * tt.length + tt.indexOf(testIndex![r]!)], infl![r]);
    }
  }
  assert.equal(cells, infl!.length, 'one matrix cell per same-class pair');

  assert.equal(runCli(['export', '--run-dir', runDir, '--format', 'csv', '--out', join(runDir, 'csv')]).status, 0);
  const rows = readFileSync(join(runDir, 'csv', 'memorization.csv'), 'utf8').trim().split('\n');
  assert.equal(rows[0], 'index,label,mem,se,n_in,n_out');
  assert.deepEqual(rows.slice(1).map((r) => Number(r.split(',')[2])), mem);
  const pairs = readFileSync(join(runDir, 'csv', 'pairs.csv'), 'utf8').trim().split('\n');
  assert.equal(pairs.length - 1, column(join(runDir, 'pairs.arrow'), 'infl').length);
  assert.deepEqual(pairs.slice(1).map((r) => Math.fround(Number(r.split(',')[4]))), column(join(runDir, 'pairs.arrow'), 'infl'));

  const bad = runCli(['export', '--run-dir', runDir, '--format', 'xlsx']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--format must be one of npz, parquet, csv, got "xlsx"/);
});

/** A shuffled order of 0..n-1. */
const permutation = (n: number, random: () => number): number[] => {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
};
const int64 = (values: number[]) => ({ data: BigInt64Array.from(values, (v) => BigInt(v)), shape: [values.length] });
const bools = (values: number[]) => ({ data: Uint8Array.from(values), shape: [values.length], bool: true });

test('import of the authors\' heldout layout gives the estimates of brute force over the source arrays', async () => {
  const dir = tempDir();
  const random = seeded('heldout');
  const [n, nTest, m, t] = [60, 30, 42, 40];
  const trainLabels = Int32Array.from({ length: n }, (_, i) => i % 3);
  const testLabels = Int32Array.from({ length: nTest }, (_, j) => (j * 7) % 3);
  const subsets: Uint8Array[] = [];
  const trainCorrect: Uint8Array[] = [];
  const testCorrect: Uint8Array[] = [];
  for (let k = 0; k < t; k++) {
    const order = permutation(n, random);
    const subset = new Uint8Array(n);
    order.slice(0, m).forEach((i) => (subset[i] = 1));
    const train = randomMask(n, 0.7, random).map((v, i) => (subset[i] ? 1 : v));
    const test = randomMask(nTest, 0.6, random);
    subsets.push(subset);
    trainCorrect.push(train);
    testCorrect.push(test);
    const testOrder = permutation(nTest, random);
    const kept = order.slice(0, m);
    const removed = order.slice(m);
    const folder = join(dir, 'cifar-fake', '0.7', String(k));
    mkdirSync(folder, { recursive: true });
    await writeNpzFile(join(folder, 'aux_arrays.npz'), {
      subsample_idx: int64([...kept].sort((a, b) => a - b)),
      index_train: int64(kept),
      correctness_train: bools(kept.map((i) => train[i]!)),
      index_removed: int64(removed),
      correctness_removed: bools(removed.map((i) => train[i]!)),
      index_test: int64(testOrder),
      correctness_test: bools(testOrder.map((j) => test[j]!)),
    });
  }
  writeFileSync(join(dir, 'train-labels.npy'), encodeNpy(BigInt64Array.from(trainLabels, (y) => BigInt(y)), [n]));
  writeFileSync(join(dir, 'test-labels.npy'), encodeNpy(Int16Array.from(testLabels), [nTest]));
  const runDir = join(dir, 'imported');
  const imported = runCli(['import', '--run-dir', runDir, '--heldout', join(dir, 'cifar-fake', '0.7'), '--train-labels', join(dir, 'train-labels.npy'), '--test-labels', join(dir, 'test-labels.npy')]);
  assert.equal(imported.status, 0, imported.stderr);
  assert.match(imported.stdout, /import: 40 trials, n = 60 train, n' = 30 test, m = 42/);
  assert.equal(runCli(['estimate', '--run-dir', runDir]).status, 0);
  assert.equal(runCli(['pairs', '--run-dir', runDir, '--theta-mem', '0.1', '--theta-infl', '0.1']).status, 0);

  // import orders the runs by folder name (0, 1, 10, ...); Algorithm 1 does not depend on the order of the trials.
  const mem = column(join(runDir, 'estimates', 'memorization.arrow'), 'mem');
  for (let i = 0; i < n; i++) assert.ok(Math.abs(mem[i]! - bruteForceDifference(subsets, trainCorrect, i, i).value) < 1e-9, `mem[${i}]`);
  const inflPath = join(runDir, 'estimates', 'influence.arrow');
  const [trainIndex, testIndex, infl] = ['train_index', 'test_index', 'infl'].map((c) => column(inflPath, c));
  assert.equal(infl!.length, [...trainLabels].reduce((s, y) => s + [...testLabels].filter((z) => z === y).length, 0));
  for (let r = 0; r < infl!.length; r++) assert.ok(Math.abs(infl![r]! - bruteForceDifference(subsets, testCorrect, trainIndex![r]!, testIndex![r]!).value) < 1e-6, `infl row ${r}`);

  // Nothing is written when one run is wrong; the message names the file and the array.
  writeFileSync(join(dir, 'cifar-fake', '0.7', '7', 'aux_arrays.npz'), Buffer.from('not a zip'));
  const broken = runCli(['import', '--run-dir', join(dir, 'broken'), '--heldout', join(dir, 'cifar-fake'), '--train-labels', join(dir, 'train-labels.npy'), '--test-labels', join(dir, 'test-labels.npy')]);
  assert.equal(broken.status, 2);
  assert.match(broken.stderr, /0\.7\/7\/aux_arrays\.npz is not an \.npz \(zip\) file/);
  assert.equal(broken.stderr.trim().split('\n').length, 1);
  assert.ok(!existsSync(join(dir, 'broken')), 'no run directory was made');
  const again = runCli(['import', '--run-dir', runDir, '--heldout', join(dir, 'cifar-fake'), '--train-labels', join(dir, 'train-labels.npy'), '--test-labels', join(dir, 'test-labels.npy')]);
  assert.match(again.stderr, /already holds a run \(run\.json\); import into a new --run-dir/);
});

test('import of .npy masks [t, n]: the estimates equal brute force; mismatched shapes are refused', () => {
  const dir = tempDir();
  const random = seeded('masks');
  const [t, n, nTest] = [25, 20, 10];
  const subsets = Array.from({ length: t }, () => randomMask(n, 0.5, random));
  const train = Array.from({ length: t }, () => randomMask(n, 0.8, random));
  const test = Array.from({ length: t }, () => randomMask(nTest, 0.5, random));
  // Subsets of one size m = 10: keep the first 10 set bits, fill up to 10.
  for (const s of subsets) {
    let count = 0;
    for (let i = 0; i < n; i++) {
      s[i] = s[i] && count < 10 ? 1 : 0;
      count += s[i]!;
    }
    for (let i = 0; i < n && count < 10; i++) {
      if (!s[i]) {
        s[i] = 1;
        count++;
      }
    }
  }
  const flat = (rows: Uint8Array[]): Uint8Array => Uint8Array.from(rows.flatMap((r) => [...r]));
  writeFileSync(join(dir, 'subset.npy'), encodeNpy(flat(subsets), [t, n], true));
  writeFileSync(join(dir, 'train.npy'), encodeNpy(Int32Array.from(flat(train)), [t, n]));
  writeFileSync(join(dir, 'test.npy'), encodeNpy(flat(test), [t, nTest], true));
  writeFileSync(join(dir, 'ytr.npy'), encodeNpy(Int32Array.from({ length: n }, (_, i) => i % 2), [n]));
  writeFileSync(join(dir, 'ytt.npy'), encodeNpy(Int32Array.from({ length: nTest }, (_, j) => j % 2), [nTest]));
  const runDir = join(dir, 'run');
  const args = (subset: string) => ['import', '--run-dir', runDir, '--subset', join(dir, subset), '--train-correct', join(dir, 'train.npy'), '--test-correct', join(dir, 'test.npy'), '--train-labels', join(dir, 'ytr.npy'), '--test-labels', join(dir, 'ytt.npy')];
  writeFileSync(join(dir, 'short.npy'), encodeNpy(flat(subsets).subarray(0, (t - 1) * n), [t - 1, n], true));
  const refused = runCli(args('short.npy'));
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /--train-correct has shape \(25, 20\), --subset \(24, 20\); they must be the same/);
  assert.ok(!existsSync(runDir));
  assert.equal(runCli(args('subset.npy')).status, 0);
  assert.equal(runCli(['estimate', '--run-dir', runDir]).status, 0);
  const mem = column(join(runDir, 'estimates', 'memorization.arrow'), 'mem');
  for (let i = 0; i < n; i++) assert.ok(Math.abs(mem[i]! - bruteForceDifference(subsets, train, i, i).value) < 1e-9, `mem[${i}]`);
});
