// `memorize train --backend webgpu` end to end through the real CLI (on lavapipe in CI): mlp and cnn trials,
// with and without weight decay, give exactly the per-example correctness of the same trials on wasm; and
// with the software adapter visible, `--backend auto` and `memorize backends` pass it over.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readTrials, runCli, tempDir } from '../helpers.js';

const N = 240;
const N_TEST = 120;
const TINY = { synthetic: { trainSize: N, testSize: N_TEST, classes: 4, subpopulationsPerClass: 20, imageSize: 8 }, epochs: 2, batchSize: 32, hiddenUnits: 32 };

function train(dir: string, name: string, backend: string, settings: object, trials = 2, ensemble = 1): ReturnType<typeof readTrials> & { epochs: ReturnType<typeof epochReports> } {
  const config = join(dir, `${name}.json`);
  writeFileSync(config, JSON.stringify({ ...TINY, ...settings }));
  const runDir = join(dir, `${name}-${backend}-${ensemble}`);
  const result = runCli(['train', '--config', config, '--backend', backend, '--trials', String(trials), '--workers', '1', '--ensemble', String(ensemble), '--run-dir', runDir]);
  assert.equal(result.status, 0, result.stderr);
  return { ...readTrials(runDir, N, N_TEST), epochs: epochReports(runDir) };
}

/** The epoch records of a run's logs: loss and accuracy (null where not counted) of each. */
function epochReports(runDir: string): { loss: number | null; accuracy: number | null }[] {
  const lines = readdirSync(join(runDir, 'logs')).flatMap((name) => readFileSync(join(runDir, 'logs', name), 'utf8').split('\n'));
  return lines.filter((l) => l.includes('"msg":"epoch"')).map((l) => (JSON.parse(l) as { report: { loss: number | null; accuracy: number | null } }).report);
}

const count = (masks: Uint8Array[]): number => masks.reduce((sum, m) => sum + m.reduce((a, b) => a + b, 0), 0);

for (const [model, epochs] of [['mlp', 2], ['cnn', 8]] as const) {
  for (const weightDecay of [0, 5e-4]) {
    test(`${model}, weight decay ${weightDecay}: trials on webgpu get the same examples right as on wasm`, () => {
      const dir = tempDir();
      const gpu = train(dir, `${model}-${weightDecay}`, 'webgpu', { model, weightDecay, epochs });
      const cpu = train(dir, `${model}-${weightDecay}`, 'wasm', { model, weightDecay, epochs });
      assert.ok(gpu.backends.every((b) => b.startsWith('webgpu (')), gpu.backends.join());
      assert.ok(cpu.backends.every((b) => b === 'wasm'), cpu.backends.join());
      assert.deepEqual(gpu.subset, cpu.subset);
      assert.deepEqual(gpu.train, cpu.train);
      assert.deepEqual(gpu.test, cpu.test);
      assert.ok(count(gpu.test) > N_TEST * 2 * 0.4, `the trials learned something: ${count(gpu.test)} of ${2 * N_TEST} test predictions right`);
      // Every epoch is reported; on webgpu without loss and accuracy (reads there are asynchronous), on wasm with them.
      assert.equal(gpu.epochs.length, 2 * epochs);
      assert.ok(gpu.epochs.every((e) => e.loss === null && e.accuracy === null), JSON.stringify(gpu.epochs[0]));
      assert.ok(cpu.epochs.length === 2 * epochs && cpu.epochs.every((e) => typeof e.loss === 'number' && typeof e.accuracy === 'number'), JSON.stringify(cpu.epochs[0]));
    });
  }
}

test('mlp, --ensemble 4 on webgpu (four stacked networks, one batched product a layer): each trial as on wasm alone', () => {
  const dir = tempDir();
  const gpu = train(dir, 'stacked', 'webgpu', { model: 'mlp', weightDecay: 5e-4 }, 4, 4);
  const cpu = train(dir, 'stacked', 'wasm', { model: 'mlp', weightDecay: 5e-4 }, 4, 1);
  assert.deepEqual(gpu.subset, cpu.subset);
  // Stacked products sum in another order than single ones: a prediction on a rounding edge may flip, as in
  // the wasm ensemble test (test/cli/cli.test.ts), which allows 0.5% too.
  const differing = (a: Uint8Array[], b: Uint8Array[]): number => a.reduce((sum, mask, k) => sum + mask.reduce((d, v, i) => d + (v === b[k]![i] ? 0 : 1), 0), 0);
  const total = differing(gpu.train, cpu.train) + differing(gpu.test, cpu.test);
  assert.ok(total <= 0.005 * 4 * (N + N_TEST), `${total} of ${4 * (N + N_TEST)} predictions differ`);
});

test('with only a software adapter, --backend auto trains on wasm and `memorize backends` says why', () => {
  const dir = tempDir();
  const listed = runCli(['backends']);
  assert.equal(listed.status, 0, listed.stderr);
  assert.match(listed.stdout, /webgpu +software +software adapter .*llvmpipe.*\(use --backend webgpu to force\)/);
  assert.match(listed.stdout, /--backend auto picks: wasm/);
  const auto = train(dir, 'auto', 'auto', { model: 'mlp', epochs: 1 });
  assert.deepEqual(auto.backends, ['wasm', 'wasm']);
});
