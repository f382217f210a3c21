// `train --trainer`: the real CLI runs a small Node trainer (written here) per trial. Its estimates equal
// brute force; a crash, a hang past --trainer-timeout and a wrong output shape fail only their own trials.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { assertEstimatesMatchBruteForce, column, runCli, tempDir } from '../helpers.js';

const NPY = pathToFileURL(join(import.meta.dirname, '../../src/store/npy.js')).href;

/** A trainer that "memorizes": right on its subset, right on even-indexed others; test example j is right
 * iff train example j mod n is in the subset. Writes int64 labels (numpy's default). FAKE_FAIL=k:how,...
 * makes trial k crash, hang, or write the wrong shape. */
const TRAINER = `
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNpy, encodeNpy } from '${NPY}';
const env = process.env;
if (env.MEMORIZE_QUERY === 'version') { console.log('fake-trainer 1.0'); process.exit(0); }
const load = (path) => parseNpy(readFileSync(path), path).data;
const trial = Number(env.MEMORIZE_TRIAL);
const how = Object.fromEntries((env.FAKE_FAIL ?? '').split(',').filter(Boolean).map((s) => s.split(':')))[trial];
if (how === 'crash') { console.error('RuntimeError: CUDA out of memory (pretend)'); process.exit(3); }
if (how === 'hang') setInterval(() => {}, 1000);
else {
  const classes = Number(env.MEMORIZE_NUM_CLASSES);
  const labels = load(join(env.MEMORIZE_DATA, 'train_labels.npy'));
  const testLabels = load(join(env.MEMORIZE_DATA, 'test_labels.npy'));
  const inSubset = new Uint8Array(labels.length);
  for (const i of load(env.MEMORIZE_SUBSET)) inSubset[i] = 1;
  const wrong = (y) => (y + 1) % classes;
  const train = BigInt64Array.from(labels, (y, i) => BigInt(inSubset[i] || i % 2 === 0 ? y : wrong(y)));
  const test = BigInt64Array.from(testLabels, (y, j) => BigInt(inSubset[j % labels.length] ? y : wrong(y)));
  const n = how === 'shape' ? train.length - 1 : train.length;
  writeFileSync(join(env.MEMORIZE_OUT, 'train_predictions.npy'), encodeNpy(train.subarray(0, n), [n]));
  writeFileSync(join(env.MEMORIZE_OUT, 'test_predictions.npy'), encodeNpy(test, [test.length]));
  if (env.MEMORIZE_RECORD_MARGINS === '1') {
    writeFileSync(join(env.MEMORIZE_OUT, 'train_margins.npy'), encodeNpy(Float64Array.from(train, (p, i) => (Number(p) === labels[i] ? 1 : -1)), [train.length]));
    writeFileSync(join(env.MEMORIZE_OUT, 'test_margins.npy'), encodeNpy(Float64Array.from(test, (p, j) => (Number(p) === testLabels[j] ? 1 : -1)), [test.length]));
  }
}
`;

const TINY = { synthetic: { trainSize: 120, testSize: 60, classes: 4, subpopulationsPerClass: 10 } };

test('--trainer: failed trials cost only themselves, a rerun completes the run, estimates equal brute force', () => {
  const dir = tempDir();
  const trainer = join(dir, 'trainer.mjs');
  writeFileSync(trainer, TRAINER);
  const config = join(dir, 'tiny.json');
  writeFileSync(config, JSON.stringify(TINY));
  const runDir = join(dir, 'run');
  const args = ['train', '--config', config, '--trials', '12', '--seed', '4', '--workers', '2', '--trainer', `"${process.execPath}" "${trainer}"`, '--trainer-timeout', '3', '--record', 'margins', '--run-dir', runDir];

  const failing = runCli(args, { FAKE_FAIL: '2:crash,3:hang,4:shape' });
  assert.equal(failing.status, 2, failing.stderr);
  const [start, message, ...rest] = failing.stderr.trim().split('\n');
  assert.match(start!, /^memorize train: /);
  assert.deepEqual(rest, [], 'one line for all the failures');
  assert.match(message!, /^memorize: 3 trial\(s\) failed and have no file, the 9 others are stored; trial 2: the trainer exited with code 3; .* \(and trials 3, 4\); /);
  assert.match(message!, /fix the trainer and rerun the same command/);
  const trials = (): string[] => readdirSync(join(runDir, 'trials')).filter((f) => f.endsWith('.arrow')).sort();
  assert.deepEqual(trials().map((f) => Number(f.slice(6, 12))), [0, 1, 5, 6, 7, 8, 9, 10, 11]);
  const logs = readFileSync(join(runDir, 'logs', readdirSync(join(runDir, 'logs')).find((f) => f.startsWith('train'))!), 'utf8');
  assert.match(logs, /trial 2: the trainer exited with code 3; last output line: RuntimeError: CUDA out of memory \(pretend\)/);
  assert.match(logs, /trial 3: the trainer ran past --trainer-timeout 3 s and was stopped/);
  assert.match(logs, /trial 4: train_predictions.npy has shape \(119\), expected \(120\)/);
  assert.ok(existsSync(join(runDir, 'trainer-work', 'trial-000002', 'trainer.log')), 'a failed trial keeps its log');

  const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { config: { trainer: string; trainerVersion: string } };
  assert.equal(run.config.trainer, `"${process.execPath}" "${trainer}"`);
  assert.equal(run.config.trainerVersion, 'fake-trainer 1.0');

  const resumed = runCli(args);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stdout, /3 trials run, 9 already finished/);
  assert.equal(trials().length, 12);
  assert.deepEqual(readdirSync(join(runDir, 'trainer-work')), [], 'scratch folders of finished trials are removed');
  const estimated = runCli(['estimate', '--run-dir', runDir]);
  assert.equal(estimated.status, 0, estimated.stderr);
  assertEstimatesMatchBruteForce(runDir, 1);
  // The trainer "memorizes" odd-indexed examples only: mem 1 there, 0 on even ones (where both sides saw trials).
  const mem = column(join(runDir, 'estimates', 'memorization.arrow'), 'mem');
  const nIn = column(join(runDir, 'estimates', 'memorization.arrow'), 'n_in');
  for (let i = 0; i < mem.length; i++) if (nIn[i]! > 0 && nIn[i]! < 12) assert.equal(mem[i], i % 2 === 1 ? 1 : 0, `mem[${i}]`);

  // The trainer's version is part of the config: a new version does not silently join the old run.
  writeFileSync(trainer, TRAINER.replace('fake-trainer 1.0', 'fake-trainer 2.0'));
  const upgraded = runCli(args);
  assert.equal(upgraded.status, 2);
  assert.match(upgraded.stderr, /trainerVersion: "fake-trainer 1.0" in the run, "fake-trainer 2.0" now/);
});
