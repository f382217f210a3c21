// The real CLI on tiny synthetic data in temp dirs: train -> estimate -> pairs, estimates reproduced by
// a brute-force Algorithm 1 over the trial files, bad input, resume after a killed run.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLI, assertEstimatesMatchBruteForce, column, readTrials, runCli, tempDir } from '../helpers.js';

const TINY = { synthetic: { trainSize: 300, testSize: 120, classes: 5, subpopulationsPerClass: 30 } };

function tinyConfig(dir: string, extra: object = {}, name = 'tiny.json'): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ comment: 'tiny test data', ...TINY, ...extra }));
  return path;
}

test('knn: train -> estimate -> pairs; estimates equal brute-force Algorithm 1 over the trial files', () => {
  const dir = tempDir();
  const runDir = join(dir, 'run');
  const config = tinyConfig(dir);
  const trained = runCli(['train', '--config', config, '--model', 'knn', '--trials', '80', '--seed', '11', '--workers', '2', '--run-dir', runDir]);
  assert.equal(trained.status, 0, trained.stderr);
  assert.match(trained.stdout, /80 trials run/);
  const estimated = runCli(['estimate', '--run-dir', runDir]);
  assert.equal(estimated.status, 0, estimated.stderr);
  assert.match(estimated.stdout, /estimate: 80 trials, n = 300 train, n' = 120 test/);
  const paired = runCli(['pairs', '--run-dir', runDir]);
  assert.equal(paired.status, 0, paired.stderr);
  assert.match(paired.stdout, /precision/);

  const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { m: number; dataset: { n: number; nTest: number }; configHash: string };
  assert.equal(run.m, 210);
  const trials = readTrials(runDir, 300, 120);
  assert.equal(trials.subset.length, 80);
  for (const s of trials.subset) assert.equal(s.reduce((a, b) => a + b, 0), 210, 'every subset has m examples');

  assertEstimatesMatchBruteForce(runDir);

  const summary = JSON.parse(readFileSync(join(runDir, 'pairs.json'), 'utf8')) as { pairs: number; precision: number; uniqueTest: number };
  assert.ok(summary.pairs > 0, 'knn memorizes: some high-influence pairs');
  const pairMem = column(join(runDir, 'pairs.arrow'), 'mem');
  const pairInfl = column(join(runDir, 'pairs.arrow'), 'infl');
  assert.equal(pairMem.length, summary.pairs);
  assert.ok(pairMem.every((v) => v >= 0.25) && pairInfl.every((v) => v >= 0.15));
});

const badInputs: [string, (dir: string) => string[], RegExp][] = [
  ['--trials 0', () => ['train', '--trials', '0'], /--trials must be an integer >= 1, got 0/],
  ['--trials abc', () => ['train', '--trials', 'abc'], /--trials must be an integer >= 1, got "abc"/],
  ['--subset-ratio 1.5', () => ['train', '--subset-ratio', '1.5'], /--subset-ratio must be a number in \(0, 1\], got 1.5/],
  ['unknown data set', () => ['train', '--dataset', 'imagenet-21k'], /unknown data set "imagenet-21k"; expected one of/],
  ['unknown model', () => ['train', '--model', 'gpt'], /unknown model "gpt"; expected one of/],
  ['missing run directory', (dir) => ['estimate', '--run-dir', join(dir, 'nowhere')], /no run in .*nowhere \(run.json not found\)/],
  ['no --run-dir', () => ['pairs'], /--run-dir <dir> is required/],
  ['bad --shard', () => ['train', '--shard', '3/2'], /--shard must be i\/N with 0 <= i < N, got "3\/2"/],
  ['missing config file', (dir) => ['train', '--config', join(dir, 'none.json')], /cannot read config file/],
  ['unknown option', () => ['train', '--epocs', '3'], /unknown option '--epocs'/],
  ['--ensemble 0', () => ['train', '--ensemble', '0'], /--ensemble must be auto or an integer >= 1, got 0/],
  ['--ensemble of a model that does not stack', () => ['train', '--model', 'resnet18', '--ensemble', '4'], /--ensemble 4 needs a model that stacks \(mlp, cnn, linear-probe\), and resnet18 does not; use --ensemble 1/],
];
for (const [name, args, message] of badInputs) {
  test(`bad input (${name}): one line on stderr, exit 2, no stack trace`, () => {
    const dir = tempDir();
    const result = runCli([...args(dir), ...(args(dir).includes('--run-dir') || args(dir)[0] !== 'train' ? [] : ['--run-dir', join(dir, 'r')])]);
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, message);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  });
}

test('foreign or corrupt files in trials/ give a clear error and are left alone', () => {
  const dir = tempDir();
  const runDir = join(dir, 'run');
  const config = tinyConfig(dir);
  const train = (trials: string) => runCli(['train', '--config', config, '--model', 'knn', '--trials', trials, '--workers', '1', '--run-dir', runDir]);
  assert.equal(train('5').status, 0);
  const notes = join(runDir, 'trials', 'notes.txt');
  writeFileSync(notes, 'my notes');
  for (const result of [runCli(['estimate', '--run-dir', runDir]), train('6')]) {
    assert.equal(result.status, 2);
    assert.match(result.stderr, /notes\.txt is not a trial file \(expected trial-NNNNNN\.arrow\); move it out of/);
  }
  assert.equal(readFileSync(notes, 'utf8'), 'my notes', 'the foreign file is left alone');
  rmSync(notes);

  const trial = join(runDir, 'trials', 'trial-000003.arrow');
  const intact = readFileSync(trial);
  for (const [what, bytes] of [['non-Arrow', Buffer.from('PK\x03\x04 a zip file, say')], ['truncated', intact.subarray(0, intact.length - 100)]] as const) {
    writeFileSync(trial, bytes);
    for (const result of [runCli(['estimate', '--run-dir', runDir]), train('6')]) {
      assert.equal(result.status, 2, what);
      assert.match(result.stderr, /trial-000003\.arrow is not an Arrow IPC file; move it out of trials\/ \(`memorize train` then redoes that trial\)/, what);
      assert.equal(result.stderr.trim().split('\n').length, 1);
    }
    assert.deepEqual(readFileSync(trial), bytes, 'the bad file is left for the user to look at');
  }
  writeFileSync(trial, intact);
  assert.equal(train('6').status, 0);
  assert.equal(runCli(['estimate', '--run-dir', runDir]).status, 0);
});

test('a changed config or data set on resume is refused, naming what changed', () => {
  const dir = tempDir();
  const runDir = join(dir, 'run');
  const config = tinyConfig(dir);
  assert.equal(runCli(['train', '--config', config, '--model', 'knn', '--trials', '3', '--seed', '11', '--workers', '1', '--run-dir', runDir]).status, 0);
  let result = runCli(['train', '--config', config, '--model', 'knn', '--trials', '3', '--seed', '12', '--workers', '1', '--run-dir', runDir]);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /different config \(seed: 11 in the run, 12 now\)/);
  const otherData = tinyConfig(dir, { synthetic: { ...TINY.synthetic, noise: 0.9 } }, 'other.json');
  result = runCli(['train', '--config', otherData, '--model', 'knn', '--trials', '3', '--seed', '11', '--workers', '1', '--run-dir', runDir]);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /made with different data/);
  // More trials with the same settings extend the run.
  result = runCli(['train', '--config', config, '--model', 'knn', '--trials', '5', '--seed', '11', '--workers', '1', '--run-dir', runDir]);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /2 trials run, 3 already finished/);
});

test('resume after a killed run loses nothing and redoes only the missing trials', async () => {
  const dir = tempDir();
  const config = tinyConfig(dir, { synthetic: { ...TINY.synthetic, trainSize: 2000, imageSize: 24 } });
  const killed = join(dir, 'killed');
  const args = ['train', '--config', config, '--model', 'knn', '--trials', '400', '--seed', '5', '--workers', '2'];
  const child = spawn(process.execPath, [CLI, ...args, '--run-dir', killed], { stdio: 'ignore' });
  const trialFiles = () => {
    try {
      return readdirSync(join(killed, 'trials')).filter((f) => /^trial-\d+\.arrow$/.test(f));
    } catch {
      return [];
    }
  };
  while (trialFiles().length < 40) await new Promise((resolve) => setTimeout(resolve, 20));
  const workers = spawnSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l !== '').map(Number);
  child.kill('SIGKILL');
  await new Promise((resolve) => child.on('exit', resolve));
  // Orphaned workers notice that their parent is gone and exit (one may still write the trial it was on).
  const alive = (pid: number): boolean => spawnSync('kill', ['-0', String(pid)]).status === 0;
  for (let waited = 0; workers.some(alive); waited += 50) {
    assert.ok(waited < 20_000, `workers ${workers.filter(alive).join(', ')} still running 20 s after their parent was killed`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const before = new Map(trialFiles().map((f) => [f, readFileSync(join(killed, 'trials', f))]));
  assert.ok(before.size >= 40 && before.size < 400, `${before.size} trials finished before the kill`);

  const resumed = runCli([...args, '--run-dir', killed]);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stdout, new RegExp(`${400 - before.size} trials run, ${before.size} already finished`));
  for (const [name, bytes] of before) assert.deepEqual(readFileSync(join(killed, 'trials', name)), bytes, `${name} untouched`);

  // The result equals an uninterrupted run's, trial file by trial file (seconds aside).
  const clean = join(dir, 'clean');
  assert.equal(runCli([...args, '--run-dir', clean]).status, 0);
  assert.equal(runCli(['estimate', '--run-dir', killed]).status, 0);
  assert.equal(runCli(['estimate', '--run-dir', clean]).status, 0);
  assert.deepEqual(column(join(killed, 'estimates', 'memorization.arrow'), 'mem'), column(join(clean, 'estimates', 'memorization.arrow'), 'mem'));
  assert.deepEqual(column(join(killed, 'estimates', 'influence.arrow'), 'infl'), column(join(clean, 'estimates', 'influence.arrow'), 'infl'));
});

test('--ensemble 4 (2 workers) makes the trials of --ensemble 1, and runs resume across ensemble sizes', () => {
  const dir = tempDir();
  const config = tinyConfig(dir, { epochs: 3, hiddenUnits: 32 });
  const train = (runDir: string, trials: number, ensemble: number, workers: number) =>
    runCli(['train', '--config', config, '--model', 'mlp', '--trials', String(trials), '--seed', '3', '--ensemble', String(ensemble), '--workers', String(workers), '--backend', 'wasm', '--run-dir', runDir]);
  const alone = join(dir, 'alone');
  const together = join(dir, 'together');
  assert.equal(train(alone, 10, 1, 1).status, 0);
  // 6 trials in groups of 4 (4 + 2) on 2 workers, then 4 more one at a time: the config hash ignores the ensemble.
  assert.equal(train(together, 6, 4, 2).status, 0);
  const resumed = train(together, 10, 1, 1);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stdout, /4 trials run, 6 already finished/);

  const a = readTrials(alone, 300, 120);
  const b = readTrials(together, 300, 120);
  assert.deepEqual(b.subset, a.subset, 'the same subsets, trial by trial');
  let differing = 0;
  for (let k = 0; k < 10; k++) {
    for (const split of ['train', 'test'] as const) differing += a[split][k]!.filter((v, i) => v !== b[split][k]![i]).length;
  }
  assert.ok(differing <= 0.005 * 10 * 420, `${differing} of ${10 * 420} predictions differ`);
  for (const run of [alone, together]) assert.equal(runCli(['estimate', '--run-dir', run]).status, 0);
  const memA = column(join(alone, 'estimates', 'memorization.arrow'), 'mem');
  const memB = column(join(together, 'estimates', 'memorization.arrow'), 'mem');
  const worst = Math.max(...memA.map((v, i) => (Number.isNaN(v) && Number.isNaN(memB[i]!) ? 0 : Math.abs(v - memB[i]!))));
  assert.ok(worst <= 0.2, `largest memorization difference ${worst} (one flipped prediction in 10 trials moves mem by at most 1/5)`);
});
