// Run-directory integrity through the real CLI: commands racing for a fresh run directory, and `estimate`
// and `pairs` killed at every step between their writes (MEMORIZE_TEST_PAUSE_AFTER), after which `pairs`
// either gives the answer of a set of files that belong together or refuses in one line.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeTrial } from '../../src/store/trial-file.js';
import { assertOneLine, runCli, runCliAsync, startCli, tempDir, type CliResult } from '../helpers.js';

const TINY = { comment: 'tiny', synthetic: { trainSize: 300, testSize: 120, classes: 5, subpopulationsPerClass: 30 } };

function tinyConfig(dir: string): string {
  const path = join(dir, 'tiny.json');
  writeFileSync(path, JSON.stringify(TINY));
  return path;
}

const trainArgs = (config: string, runDir: string, trials: number, seed: number) =>
  ['train', '--config', config, '--model', 'knn', '--trials', String(trials), '--seed', String(seed), '--workers', '1', '--run-dir', runDir];

/** The config hash of every trial file of a run. */
function trialHashes(runDir: string): string[] {
  return readdirSync(join(runDir, 'trials'))
    .filter((f) => f.endsWith('.arrow'))
    .map((f) => decodeTrial(readFileSync(join(runDir, 'trials', f)), f, { n: 300, nTest: 120 }).metadata.configHash);
}

/** Exactly one of two racing commands with different seeds won: the other was refused naming the seeds, and the
 * run holds only the winner's config and trials. */
function assertOneWinner(results: CliResult[], runDir: string, trials: number): void {
  const won = results.filter((r) => r.status === 0);
  assert.equal(won.length, 1, results.map((r) => `${r.status}: ${r.stderr}`).join(' | '));
  const lost = results.find((r) => r.status !== 0)!;
  assertOneLine(lost, /made with a different config \(seed: \d+ in the run, \d+ now\); use a new --run-dir/);
  const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { seed: number; configHash: string };
  assert.match(lost.stderr, new RegExp(`seed: ${run.seed} in the run`), 'the winner is the one in run.json');
  const hashes = trialHashes(runDir);
  assert.equal(hashes.length, trials);
  assert.ok(hashes.every((h) => h === run.configHash), 'every trial file is the winner config');
}

test('two trains with different configs on a fresh run directory: the first to create run.json wins, the other is refused', async () => {
  const dir = tempDir();
  const config = tinyConfig(dir);
  // Deterministic: A has written run.json's temporary and waits; B, started then, creates run.json first.
  const runDir = join(dir, 'paused');
  const a = startCli(trainArgs(config, runDir, 8, 1), { MEMORIZE_TEST_PAUSE_AFTER: 'temporary:run.json' });
  await a.stderrHas('paused after temporary:run.json');
  const b = await runCliAsync(trainArgs(config, runDir, 8, 2));
  a.child.kill('SIGCONT');
  const pausedA = await a.done;
  const resultA = { ...pausedA, stderr: pausedA.stderr.replace(/^memorize: paused.*\n/m, '') };
  assert.equal(b.status, 0, b.stderr);
  assertOneLine(resultA, /seed: 2 in the run, 1 now/);
  assertOneWinner([resultA, b], runDir, 8);
  // Many rounds with random delays.
  for (let round = 0; round < 4; round++) {
    const raced = join(dir, `race-${round}`);
    const delayed = (seed: number) => new Promise((r) => setTimeout(r, Math.random() * 60)).then(() => runCliAsync(trainArgs(config, raced, 8, seed)));
    assertOneWinner(await Promise.all([delayed(1), delayed(2)]), raced, 8);
  }
  // The same config joins: both succeed and share the trials.
  const joined = join(dir, 'joined');
  const both = await Promise.all([runCliAsync(trainArgs(config, joined, 8, 3)), runCliAsync(trainArgs(config, joined, 8, 3))]);
  for (const r of both) assert.equal(r.status, 0, r.stderr);
  assert.equal(trialHashes(joined).length, 8);
});

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

/** pairs.json, where there is one, describes the pairs.arrow beside it. */
function assertPairsFilesAgree(runDir: string, what: string): void {
  const json = join(runDir, 'pairs.json');
  if (!existsSync(json)) return;
  const summary = JSON.parse(readFileSync(json, 'utf8')) as { pairsArrowSha256: string };
  assert.equal(summary.pairsArrowSha256, sha256(join(runDir, 'pairs.arrow')), `${what}: pairs.json names the pairs.arrow beside it`);
}

test('estimate and pairs killed at every step between their writes: pairs never accepts a mixed set', async () => {
  const dir = tempDir();
  const config = tinyConfig(dir);
  const runDir = join(dir, 'run');
  const pairsOutput = (r: CliResult) => r.stdout.split('\n')[0]!;
  // Two finished answers: from trials 0-11, and from 0-5 (a copy of the run with the last 6 trials removed).
  assert.equal(runCli(trainArgs(config, runDir, 12, 4)).status, 0);
  const sixOnly = join(dir, 'six');
  cpSync(runDir, sixOnly, { recursive: true });
  for (let k = 6; k < 12; k++) rmSync(join(sixOnly, 'trials', `trial-0000${String(k).padStart(2, '0')}.arrow`));
  const [answer12, answer6] = await Promise.all([runDir, sixOnly].map(async (run) => {
    assert.equal((await runCliAsync(['estimate', '--run-dir', run])).status, 0);
    return pairsOutput(await runCliAsync(['pairs', '--run-dir', run]));
  }));
  assert.match(answer12!, /from 12 trials$/);
  const answer6Now = answer6!.replace(' from 6 trials', ' from 6 trials (12 are finished: rerun `memorize estimate` to use them all)');
  const estimateSteps = ['temporary:memorization.arrow', 'temporary:influence.arrow', 'rename:memorization.arrow', 'rename:influence.arrow'];
  for (const step of estimateSteps) {
    // Old estimates: the 6-trial ones, copied in as a previous `estimate` left them.
    for (const name of ['memorization.arrow', 'influence.arrow']) writeFileSync(join(runDir, 'estimates', name), readFileSync(join(sixOnly, 'estimates', name)));
    const killed = startCli(['estimate', '--run-dir', runDir], { MEMORIZE_TEST_PAUSE_AFTER: step });
    await killed.stderrHas(`paused after ${step}`);
    killed.child.kill('SIGKILL');
    await killed.done;
    const paired = await runCliAsync(['pairs', '--run-dir', runDir]);
    if (step === 'rename:memorization.arrow') {
      assertOneLine(paired, /memorization\.arrow and influence\.arrow come from two different estimates .*; run `memorize estimate --run-dir .*` again/, step);
    } else {
      assert.equal(paired.status, 0, `${step}: ${paired.stderr}`);
      assert.equal(pairsOutput(paired), step === 'rename:influence.arrow' ? answer12 : answer6Now, step);
    }
  }
  assert.equal(runCli(['estimate', '--run-dir', runDir]).status, 0);
  assert.equal(pairsOutput(runCli(['pairs', '--run-dir', runDir])), answer12);

  for (const step of ['unlink:pairs.json', 'temporary:pairs.arrow', 'rename:pairs.arrow', 'temporary:pairs.json', 'rename:pairs.json']) {
    const killed = startCli(['pairs', '--run-dir', runDir, '--theta-infl', '0.3'], { MEMORIZE_TEST_PAUSE_AFTER: step });
    await killed.stderrHas(`paused after ${step}`);
    killed.child.kill('SIGKILL');
    await killed.done;
    assertPairsFilesAgree(runDir, step);
  }
  assert.ok(existsSync(join(runDir, 'pairs.json')), 'the last kill came after pairs.json was written');
});

test('pairs refuses estimates that used a trial no longer in trials/, and thresholds outside [-1, 1]', () => {
  const dir = tempDir();
  const config = tinyConfig(dir);
  const runDir = join(dir, 'run');
  assert.equal(runCli(trainArgs(config, runDir, 4, 4)).status, 0);
  assert.equal(runCli(['estimate', '--run-dir', runDir]).status, 0);
  rmSync(join(runDir, 'trials', 'trial-000002.arrow'));
  assertOneLine(runCli(['pairs', '--run-dir', runDir]), /the estimates used trial 2, which is no longer in .*trials; run `memorize estimate --run-dir .*` again/);
  assertOneLine(runCli(['pairs', '--run-dir', runDir, '--theta-mem', '1.5']), /--theta-mem must be a number in \[-1, 1\] \(mem and infl are differences of two probabilities\), got 1.5/);
  assertOneLine(runCli(['pairs', '--run-dir', runDir, '--theta-infl', '-2']), /--theta-infl must be a number in \[-1, 1\]/);
});
