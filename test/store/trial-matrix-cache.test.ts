// The run's matrix cache: an estimate after new trials reads only the new files, a trial file changed behind
// the cache's back (rewritten, or edited in place with its modification time set back) is read again (and a
// flipped bit refused by its checksum), a damaged or cut-short cache is rebuilt, and the estimates equal brute
// force every time, reader workers included.
import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { estimate } from '../../src/commands/estimate.js';
import { UsageError } from '../../src/errors.js';
import { hashConfig, resolveConfig } from '../../src/config/schema.js';
import { RUN_FORMAT, RunDirectory, trialFileName, type RunManifest } from '../../src/store/run-dir.js';
import { cachePath } from '../../src/store/trial-matrix-cache.js';
import { decodeTrial } from '../../src/store/trial-file.js';
import { assertEstimatesMatchBruteForce, runCli, seeded, tempDir } from '../helpers.js';

const N = 40;
const N_TEST = 15;
const CLASSES = 3;

async function makeRun(dir: string): Promise<{ runDir: RunDirectory; write: (k: number, seed: string, backend?: string) => Promise<void> }> {
  const runDir = new RunDirectory(dir);
  const config = resolveConfig({ dataset: 'cache-test', model: 'knn', trials: 400, subsetRatio: 0.5 });
  const manifest: RunManifest = {
    format: RUN_FORMAT,
    config,
    configHash: hashConfig(config),
    dataset: { name: 'cache-test', fingerprint: 'cache-test', n: N, nTest: N_TEST, numClasses: CLASSES, imageShape: [1, 1, 1] },
    m: N / 2,
    trials: 400,
    seed: 0,
    versions: {},
    createdAt: new Date().toISOString(),
  };
  const labels = (count: number) => Int32Array.from({ length: count }, (_, i) => i % CLASSES);
  await runDir.createOrCheck(manifest, { label: labels(N) }, { label: labels(N_TEST) });
  const write = async (k: number, seed: string, backend = 'test'): Promise<void> => {
    const random = seeded(`${seed}-${k}`);
    // m = N / 2 examples, as run.json says (a random half: the first N / 2 of a random order).
    const order = Array.from({ length: N }, (_, i) => [random(), i] as const).sort((a, b) => a[0] - b[0]);
    const subset = new Uint8Array(N);
    for (const [, i] of order.slice(0, N / 2)) subset[i] = 1;
    const trainCorrect = Uint8Array.from(subset, (inside) => (random() < (inside ? 0.9 : 0.5) ? 1 : 0));
    const testCorrect = Uint8Array.from({ length: N_TEST }, (_, j) => (random() < (subset[j % N] ? 0.8 : 0.4) ? 1 : 0));
    await runDir.writeTrial({ trial: k, seed: k, subset, trainCorrect, testCorrect, trainAccuracy: 0, testAccuracy: 0.5, seconds: 0 }, { configHash: manifest.configHash, dataset: 'cache-test', backend });
  };
  return { runDir, write };
}

test('the matrix cache: reader workers build it, new trials are read alone, changed files and a damaged cache rebuild it', async () => {
  const { runDir, write } = await makeRun(join(tempDir(), 'run'));
  // 300 trials: more than READER_THREADS_FROM, so reader workers read them.
  for (let k = 0; k < 300; k++) await write(k, 'a');
  const first = await estimate({ runDir: runDir.root });
  assert.equal(first.trialFilesRead, 300);
  assertEstimatesMatchBruteForce(runDir.root, 1);

  for (let k = 300; k < 310; k++) await write(k, 'a');
  const added = await estimate({ runDir: runDir.root });
  assert.deepEqual([added.trials, added.trialFilesRead], [310, 10], 'only the new trial files are read');
  assertEstimatesMatchBruteForce(runDir.root, 1);
  assert.equal((await estimate({ runDir: runDir.root })).trialFilesRead, 0, 'nothing new: nothing read');

  // Trial 5 replaced by other results (as a file written by another program would be).
  await write(5, 'b');
  assert.equal((await estimate({ runDir: runDir.root })).trialFilesRead, 310, 'a changed trial file rebuilds the cache');
  assertEstimatesMatchBruteForce(runDir.root, 1);

  // Trial 7 edited in place with its modification time set back: the change time still differs, so the file is
  // read again, and its checksum refuses the flipped bit in one line (the cache does not hide it).
  const path = join(runDir.trialsDir, trialFileName(7));
  const before = statSync(path);
  const bytes = readFileSync(path);
  const at = decodeTrial(bytes, path, { n: N, nTest: N_TEST }).subset.bytes.byteOffset - bytes.byteOffset;
  const fd = openSync(path, 'r+');
  writeSync(fd, Uint8Array.of(bytes[at]! ^ 1), 0, 1, at);
  closeSync(fd);
  utimesSync(path, before.atime, before.mtime);
  assert.ok(Math.abs(statSync(path).mtimeMs - before.mtimeMs) < 1, 'modification time set back');
  await assert.rejects(estimate({ runDir: runDir.root }), (error: Error) => error instanceof UsageError && /trial-000007\.arrow is damaged: its values do not match the checksum/.test(error.message));
  writeFileSync(path, bytes);
  assert.equal((await estimate({ runDir: runDir.root })).trialFilesRead, 310, 'the restored file is read again');
  assertEstimatesMatchBruteForce(runDir.root, 1);

  // A flipped bit in the cached bits: their sha256 differs, so the cache is rebuilt, not trusted.
  const cache = cachePath(runDir);
  const cached = readFileSync(cache);
  cached[cached.length - 5]! ^= 0x10;
  writeFileSync(cache, cached);
  assert.equal((await estimate({ runDir: runDir.root })).trialFilesRead, 310, 'damaged cached bits rebuild the cache');
  assertEstimatesMatchBruteForce(runDir.root, 1);

  // A cache cut short is rebuilt, not trusted.
  writeFileSync(cache, readFileSync(cache).subarray(0, 1000));
  assert.equal((await estimate({ runDir: runDir.root })).trialFilesRead, 310);
  assertEstimatesMatchBruteForce(runDir.root, 1);
});

test('reader workers read files of another layout in full (another backend name), and cached trials widen for new ones off a word boundary, across 512', async () => {
  const { runDir, write } = await makeRun(join(tempDir(), 'run'));
  // Trial 200 with another backend name: its bytes differ from the layout's file outside the values.
  for (let k = 0; k < 300; k++) await write(k, 'd', k === 200 ? 'a much longer backend name' : 'test');
  assert.equal((await estimate({ runDir: runDir.root })).trialFilesRead, 300);
  assertEstimatesMatchBruteForce(runDir.root, 1);
  // 260 more (reader workers again) from slot 300 (not a multiple of 32) across slot 512, then 2 more from 560.
  for (let k = 300; k < 560; k++) await write(k, 'd', k === 400 ? 'x' : 'test');
  assert.equal((await estimate({ runDir: runDir.root })).trialFilesRead, 260);
  assertEstimatesMatchBruteForce(runDir.root, 1);
  for (let k = 560; k < 562; k++) await write(k, 'd');
  assert.deepEqual([(await estimate({ runDir: runDir.root })).trialFilesRead, (await estimate({ runDir: runDir.root, trials: { first: 290, last: 561 } })).trials], [2, 272]);
  assertEstimatesMatchBruteForce(runDir.root, 1, (k) => k >= 290 && k <= 561);
});

test('estimate --trials and the split halves use the cached trials through a mask, equal to brute force', async () => {
  const { runDir, write } = await makeRun(join(tempDir(), 'run'));
  for (let k = 0; k < 45; k++) await write(k, 'c');
  await estimate({ runDir: runDir.root });
  const some = await estimate({ runDir: runDir.root, trials: { first: 3, last: 40 } });
  assert.deepEqual([some.trials, some.trialFilesRead], [38, 0]);
  assertEstimatesMatchBruteForce(runDir.root, 1, (k) => k >= 3 && k <= 40);
  const cli = runCli(['estimate', '--run-dir', runDir.root]);
  assert.equal(cli.status, 0, cli.stderr);
  assert.match(cli.stdout, /trials used: all finished; 0 trial file\(s\) read, 45 from cache\/trial-matrix\.bin\n/);
  rmSync(join(runDir.root, 'cache'), { recursive: true });
  const cold = runCli(['estimate', '--run-dir', runDir.root]);
  assert.match(cold.stdout, /trials used: all finished; 45 trial file\(s\) read\n/, 'no cache: every file read, nothing from the cache');
});
