// Which pairs influence.arrow keeps: every same-class pair of a small run, only those with infl >= 0.05 above
// 1,000,000 of them (CIFAR-100 scale and up), and what `estimate --influence-floor F|none` asks for; each checked
// against brute force over the trial files, with pairs refusing a --theta-infl below the floor, and a table of every
// pair refused above 20 million pairs (estimate --influence-floor none, compare).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { estimate } from '../../src/commands/estimate.js';
import { hashConfig, resolveConfig } from '../../src/config/schema.js';
import { RUN_FORMAT, RunDirectory, type RunManifest } from '../../src/store/run-dir.js';
import { readColumns } from '../../src/store/tables.js';
import { assertEstimatesMatchBruteForce, runCli, seeded, tempDir } from '../helpers.js';

function knnRun(dir: string): string {
  const config = join(dir, 'tiny.json');
  writeFileSync(config, JSON.stringify({ synthetic: { trainSize: 100, testSize: 50, classes: 4, subpopulationsPerClass: 10 } }));
  const runDir = join(dir, 'run');
  const result = runCli(['train', '--config', config, '--model', 'knn', '--trials', '30', '--workers', '1', '--run-dir', runDir]);
  assert.equal(result.status, 0, result.stderr);
  return runDir;
}

async function storedFloor(runDir: string): Promise<string | undefined> {
  const { metadata } = await readColumns(join(runDir, 'estimates', 'influence.arrow'), ['infl'], 'estimate first');
  return metadata.get('memorize.influence_floor');
}

test('estimate --influence-floor F keeps exactly the pairs at or above F; none keeps every pair; pairs refuses a theta below the floor', async () => {
  const runDir = knnRun(tempDir());
  const floored = runCli(['estimate', '--run-dir', runDir, '--influence-floor', '0.1']);
  assert.equal(floored.status, 0, floored.stderr);
  assert.match(floored.stdout, /influence\.arrow: \d+ of the \d+ same-class pairs, those with infl >= 0\.1 \(--influence-floor none keeps every pair\)/);
  assertEstimatesMatchBruteForce(runDir, 1, () => true, 0.1);
  assert.equal(await storedFloor(runDir), '0.1');
  const below = runCli(['pairs', '--run-dir', runDir, '--theta-infl', '0.05']);
  assert.equal(below.status, 2);
  assert.equal(below.stderr.trim(), 'memorize: --theta-infl 0.05 is below 0.1, the floor under which influence.arrow kept no pairs; use --theta-infl >= 0.1');
  assert.equal(runCli(['pairs', '--run-dir', runDir, '--theta-infl', '0.15']).status, 0);

  const every = runCli(['estimate', '--run-dir', runDir, '--influence-floor', 'none']);
  assert.equal(every.status, 0, every.stderr);
  assert.match(every.stdout, /influence\.arrow: every one of the \d+ same-class pairs/);
  assertEstimatesMatchBruteForce(runDir, 1);
  assert.equal(await storedFloor(runDir), 'none');

  for (const [value, message] of [
    ['2', '--influence-floor must be none or a number in [-1, 1] (infl is a difference of two probabilities), got 2'],
    ['all', '--influence-floor must be a number, got "all"'],
  ] as const) {
    const bad = runCli(['estimate', '--run-dir', runDir, '--influence-floor', value]);
    assert.equal(bad.status, 2);
    assert.equal(bad.stderr.trim(), `memorize: ${message}`);
  }
});

/** A run directory of n training and nTest test examples, labels i mod classes, and no trials yet. */
async function emptyRun(n: number, nTest: number, classes: number, trials: number): Promise<{ runDir: RunDirectory; manifest: RunManifest }> {
  const runDir = new RunDirectory(join(tempDir(), 'run'));
  const config = resolveConfig({ dataset: 'floor-test', model: 'knn', trials, subsetRatio: 0.5 });
  const manifest: RunManifest = {
    format: RUN_FORMAT,
    config,
    configHash: hashConfig(config),
    dataset: { name: 'floor-test', fingerprint: 'floor-test', n, nTest, numClasses: classes, imageShape: [1, 1, 1] },
    m: n / 2,
    trials,
    seed: 0,
    versions: {},
    createdAt: new Date().toISOString(),
  };
  const labels = (count: number) => Int32Array.from({ length: count }, (_, i) => i % classes);
  await runDir.createOrCheck(manifest, { label: labels(n) }, { label: labels(nTest) });
  return { runDir, manifest };
}

test('above 1,000,000 same-class pairs influence.arrow keeps the pairs with infl >= 0.05 by default, every pair on request', async () => {
  // 2 classes of 1,001 training and 500 test examples: 1,001,000 same-class pairs.
  const [n, nTest, classes, trials] = [2002, 1000, 2, 12];
  const { runDir, manifest } = await emptyRun(n, nTest, classes, trials);
  for (let k = 0; k < trials; k++) {
    const random = seeded(`floor-${k}`);
    const order = Array.from({ length: n }, (_, i) => [random(), i] as const).sort((a, b) => a[0] - b[0]);
    const subset = new Uint8Array(n);
    for (const [, i] of order.slice(0, n / 2)) subset[i] = 1;
    const trainCorrect = Uint8Array.from(subset, (inside) => (random() < (inside ? 0.9 : 0.5) ? 1 : 0));
    const testCorrect = Uint8Array.from({ length: nTest }, () => (random() < 0.6 ? 1 : 0));
    await runDir.writeTrial({ trial: k, seed: k, subset, trainCorrect, testCorrect, trainAccuracy: 0, testAccuracy: 0.6, seconds: 0 }, { configHash: manifest.configHash, dataset: 'floor-test', backend: 'test' });
  }
  const floored = await estimate({ runDir: runDir.root });
  assert.deepEqual([floored.influenceFloor, floored.sameClassPairs, floored.everyPairFits], [0.05, 1_001_000, true]);
  assert.ok(floored.influencePairs > 0 && floored.influencePairs < 1_001_000, `${floored.influencePairs} pairs kept`);
  assertEstimatesMatchBruteForce(runDir.root, 997, () => true, 0.05);

  const every = await estimate({ runDir: runDir.root, influenceFloor: null });
  assert.deepEqual([every.influenceFloor, every.influencePairs], [null, 1_001_000]);
  assertEstimatesMatchBruteForce(runDir.root, 997);
});

test('a table of every pair is refused in one line above 20,000,000 same-class pairs: estimate --influence-floor none, compare', async () => {
  // One class of 5,000 training and 4,001 test examples: 20,005,000 pairs (refused before any trial is read).
  const { runDir } = await emptyRun(5000, 4001, 1, 10);
  const every = runCli(['estimate', '--run-dir', runDir.root, '--influence-floor', 'none']);
  assert.equal(every.status, 2);
  assert.equal(every.stderr.trim(), `memorize: ${runDir.root} has 20,005,000 same-class pairs, more than a table of every pair may hold (20,000,000, 36 bytes each); use --influence-floor F (the default above 1,000,000 pairs is 0.05)`);
  const compared = runCli(['compare', runDir.root, '--split-half']);
  assert.equal(compared.status, 2);
  assert.match(compared.stderr.trim(), /^memorize: .* has 20,005,000 same-class pairs, more than a table of every pair may hold \(20,000,000, 36 bytes each\); compare holds every pair in memory: compare runs with fewer classes or examples$/);
});
