// Interop with the Python tools researchers use (`npm run test:interop`, also in .ci/run): real PyTorch trains
// through examples/torch_trainer.py on synthetic-longtail and on CIFAR-10-format files written here with numpy,
// and the estimates pass the brute-force check; numpy, pandas, polars and DuckDB read what memorize writes
// (the README's one-liners); runs in the authors' layout written by numpy import to numpy's own estimates.
// Python: $MEMORIZE_PYTHON, else .venv-torch/bin/python (see the README's "Interop" for the venv).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { assertEstimatesMatchBruteForce, column, runCli, tempDir } from '../helpers.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const PYTHON = process.env['MEMORIZE_PYTHON'] ?? join(ROOT, '.venv-torch', 'bin', 'python');
const TRAINER = `"${PYTHON}" "${join(ROOT, 'examples', 'torch_trainer.py')}"`;

function python(code: string, ...args: string[]): string {
  assert.ok(existsSync(PYTHON), `no Python at ${PYTHON}: python3 -m venv .venv-torch && .venv-torch/bin/pip install torch numpy pandas polars duckdb pyarrow`);
  const result = spawnSync(PYTHON, ['-c', code, ...args], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.trim();
}

function ok(args: string[]): string {
  const result = runCli(args);
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

/** CIFAR-10 binary files: 5 train batches of 16 records and a test batch of 40; class c brightens channel c % 3. */
const WRITE_CIFAR = `
import numpy as np, sys, os
rng = np.random.default_rng(7)
def records(count):
    labels = rng.integers(0, 10, count).astype(np.uint8)
    images = rng.integers(0, 120, (count, 3, 32, 32)).astype(np.uint8)
    for k, y in enumerate(labels): images[k, y % 3, : 8 + 2 * y] += 120
    return np.concatenate([labels[:, None], images.reshape(count, -1)], axis=1).tobytes()
for i in range(1, 6): open(os.path.join(sys.argv[1], f'data_batch_{i}.bin'), 'wb').write(records(16))
open(os.path.join(sys.argv[1], 'test_batch.bin'), 'wb').write(records(40))
`;

test('PyTorch trainer on synthetic-longtail: estimates equal brute force, run.json records the trainer and its version', () => {
  const dir = tempDir();
  const config = join(dir, 'tiny.json');
  writeFileSync(config, JSON.stringify({ synthetic: { trainSize: 300, testSize: 120, classes: 5, subpopulationsPerClass: 30 }, epochs: 6, hiddenUnits: 64 }));
  const runDir = join(dir, 'run');
  const trained = ok(['train', '--config', config, '--trials', '12', '--workers', '2', '--trainer', TRAINER, '--record', 'margins', '--run-dir', runDir]);
  assert.match(trained, /12 trials run/);
  const accuracy = Number(/mean test accuracy of the trials run: ([\d.]+)/.exec(trained)![1]);
  assert.ok(accuracy > 0.5, `the torch mlp learns (test accuracy ${accuracy})`);
  const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { config: { trainer: string; trainerVersion: string } };
  assert.match(run.config.trainerVersion, /^torch_trainer 1 \(torch 2\.\d+/);
  ok(['estimate', '--run-dir', runDir]);
  assertEstimatesMatchBruteForce(runDir);
  // The margins come through: pyarrow reads the trial file, and a margin is positive exactly where the prediction is right.
  const agree = python(`
import pyarrow.ipc as ipc, sys
t = ipc.open_file(sys.argv[1]).read_all()
m, c = t['train_margin'][0].values.to_numpy(), t['train_correct'][0].values.to_numpy(zero_copy_only=False)
print(int(((m > 0) == c).all()))`, join(runDir, 'trials', 'trial-000000.arrow'));
  assert.equal(agree, '1');
});

test('PyTorch cnn on CIFAR-10-format files; numpy, pandas, polars and DuckDB read the results', () => {
  const dir = tempDir();
  const data = join(dir, 'cifar10');
  python(`import os, sys; os.makedirs(sys.argv[1])\n${WRITE_CIFAR}`, data);
  const runDir = join(dir, 'run');
  ok(['train', '--dataset', 'cifar10', '--data-dir', data, '--model', 'cnn', '--epochs', '3', '--batch-size', '16', '--trials', '8', '--workers', '2', '--trainer', TRAINER, '--run-dir', runDir]);
  ok(['estimate', '--run-dir', runDir]);
  assertEstimatesMatchBruteForce(runDir, 1);
  ok(['pairs', '--run-dir', runDir, '--theta-mem', '0', '--theta-infl', '0']);
  for (const format of ['npz', 'parquet', 'csv']) ok(['export', '--run-dir', runDir, '--format', format]);
  const mem = column(join(runDir, 'estimates', 'memorization.arrow'), 'mem');
  const pairs = column(join(runDir, 'pairs.arrow'), 'infl').length;
  const sum = mem.reduce((a, b) => a + b, 0);

  // The README's one-liners, each printing the sum of mem (and DuckDB the pair count too).
  const readers: [string, string][] = [
    ['numpy', `import numpy as np; print(np.load('export/estimates.npz')['tr_mem'].astype('float64').sum())`],
    ['pandas (Arrow)', `import pandas as pd; print(pd.read_feather('estimates/memorization.arrow')['mem'].sum())`],
    ['pandas (Parquet)', `import pandas as pd; print(pd.read_parquet('export/memorization.parquet')['mem'].sum())`],
    ['polars (Arrow)', `import polars as pl; print(pl.read_ipc('estimates/memorization.arrow')['mem'].sum())`],
    ['polars (Parquet)', `import polars as pl; print(pl.read_parquet('export/memorization.parquet')['mem'].sum())`],
    ['DuckDB (Parquet)', `import duckdb; print(duckdb.sql("SELECT sum(mem) FROM 'export/memorization.parquet'").fetchone()[0])`],
    ['DuckDB (CSV)', `import duckdb; print(duckdb.sql("SELECT sum(mem) FROM 'export/memorization.csv'").fetchone()[0])`],
  ];
  for (const [tool, code] of readers) {
    const result = spawnSync(PYTHON, ['-c', code], { cwd: runDir, encoding: 'utf8' });
    assert.equal(result.status, 0, `${tool}: ${result.stderr}`);
    const expected = tool === 'numpy' ? mem.reduce((a, b) => a + Math.fround(b), 0) : sum;
    assert.ok(Math.abs(Number(result.stdout) - expected) < 1e-4, `${tool} read sum(mem) = ${result.stdout.trim()}, memorize wrote ${expected}`);
  }
  const counted = spawnSync(PYTHON, ['-c', `import duckdb; print(duckdb.sql("SELECT count(*) FROM 'export/pairs.parquet' p JOIN 'export/influence.parquet' i USING (train_index, test_index) WHERE p.infl = i.infl").fetchone()[0])`], { cwd: runDir, encoding: 'utf8' });
  assert.equal(Number(counted.stdout), pairs, counted.stderr);

  // numpy's view of the authors' layout: per-class matrices that hold influence.arrow's numbers.
  const check = python(`
import numpy as np, pyarrow.ipc as ipc, sys
z = np.load(sys.argv[1] + '/export/estimates.npz')
infl = ipc.open_file(sys.argv[1] + '/estimates/influence.arrow').read_all().to_pandas()
bad = 0
for r in infl.itertuples():
    c = z['tr_labels'][r.train_index]
    a = np.flatnonzero(z['tr_classidx_%d' % c] == r.train_index)[0]
    b = np.flatnonzero(z['tt_classidx_%d' % c] == r.test_index)[0]
    bad += z['infl_matrix_class%d' % c][a, b] != r.infl
print(bad, len(infl))`, runDir);
  assert.match(check, /^0 \d+$/);
});

test('import of runs in the authors\' layout written by numpy (savez_compressed, int64): estimates equal numpy\'s', () => {
  const dir = tempDir();
  const data = join(dir, 'cifar10');
  python(`import os, sys; os.makedirs(sys.argv[1])\n${WRITE_CIFAR}`, data);
  // 40 runs on random 70% subsets, correctness from a fixed rule; numpy computes mem as the authors' example does.
  const expected = python(`
import numpy as np, os, sys
root, n, n_test = sys.argv[1], 80, 40
rng = np.random.default_rng(3)
masks, train, test = [], [], []
for k in range(40):
    idx = rng.permutation(n); kept, removed = idx[:56], idx[56:]
    correct = rng.random(n) < 0.6; correct[kept] = True
    tcorrect = rng.random(n_test) < 0.5; order = rng.permutation(n_test)
    os.makedirs(f'{root}/0.7/{k}')
    np.savez_compressed(f'{root}/0.7/{k}/aux_arrays.npz', subsample_idx=np.sort(kept), index_train=kept, correctness_train=correct[kept],
        index_removed=removed, correctness_removed=correct[removed], index_test=order, correctness_test=tcorrect[order])
    mask = np.zeros(n, bool); mask[kept] = True
    masks.append(mask); train.append(correct); test.append(tcorrect)
m, tr, tt = np.array(masks), np.array(train), np.array(test)
avg = lambda x, w: (x * w).sum(0) / np.maximum(w.sum(0), 1e-10)
mem = avg(tr, m) - avg(tr, ~m)
infl = (tt.T.astype(float) @ m / m.sum(0)) - (tt.T.astype(float) @ ~m / (~m).sum(0))  # (n_test, n)
import json; print(json.dumps({'mem': mem.tolist(), 'infl': infl.tolist()}))`, join(dir, 'heldout'));
  const runDir = join(dir, 'run');
  ok(['import', '--run-dir', runDir, '--heldout', join(dir, 'heldout', '0.7'), '--dataset', 'cifar10', '--data-dir', data, '--file-order']);
  ok(['estimate', '--run-dir', runDir]);
  const numpy = JSON.parse(expected) as { mem: number[]; infl: number[][] };
  const mem = column(join(runDir, 'estimates', 'memorization.arrow'), 'mem');
  for (let i = 0; i < mem.length; i++) assert.ok(Math.abs(mem[i]! - numpy.mem[i]!) < 1e-9, `mem[${i}]: memorize ${mem[i]}, numpy ${numpy.mem[i]}`);
  const inflPath = join(runDir, 'estimates', 'influence.arrow');
  const [trainIndex, testIndex, infl] = ['train_index', 'test_index', 'infl'].map((c) => column(inflPath, c));
  assert.ok(infl!.length > 0);
  for (let r = 0; r < infl!.length; r++) assert.ok(Math.abs(infl![r]! - numpy.infl[testIndex![r]!]![trainIndex![r]!]!) < 1e-6, `infl row ${r}`);
  const labels = python(`import numpy as np, sys; print(np.frombuffer(open(sys.argv[1] + '/data_batch_1.bin', 'rb').read(), np.uint8).reshape(16, 3073)[:, 0].tolist())`, data);
  assert.deepEqual(column(join(runDir, 'train-examples.arrow'), 'label').slice(0, 16), JSON.parse(labels), 'labels in the file order of the data set');
});
