// train under signals and failures, through the real CLI on tiny 1-NN runs slowed by the tests-only
// MEMORIZE_TEST_TRIAL_DELAY_MS (src/train/executor.ts): SIGTERM to the parent alone and to its whole group,
// a killed and a stopped worker, a trial whose worker dies twice, two trains on one directory, status.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatStatus } from '../../src/cli/report.js';
import { status } from '../../src/commands/status.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const TINY = ['--model', 'knn', '--seed', '3', '--limit-train', '200', '--limit-test', '80'];
const SLOW = { ...process.env, MEMORIZE_TEST_TRIAL_DELAY_MS: '300' };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const runDir = (): string => join(mkdtempSync(join(tmpdir(), 'memorize-stop-')), 'run');
const trialFiles = (run: string): string[] => (existsSync(join(run, 'trials')) ? readdirSync(join(run, 'trials')).filter((n) => n.endsWith('.arrow')) : []);

interface Finished {
  code: number | null;
  stderr: string;
  stdout: string;
}

function start(args: string[], options: { detached?: boolean } = {}): { child: ChildProcess; done: Promise<Finished> } {
  const child = spawn(process.execPath, [MAIN, ...args], { env: SLOW, detached: options.detached ?? false });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  return { child, done: new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr, stdout }))) };
}

async function until(what: string, check: () => boolean, seconds = 60): Promise<void> {
  for (let waited = 0; !check(); waited += 0.2) {
    if (waited > seconds) assert.fail(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

const workersOf = (pid: number): number[] =>
  spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l !== '').map(Number);
const alive = (pid: number): boolean => spawnSync('kill', ['-0', String(pid)]).status === 0;

/** 'trial done' records per trial over every log of the run. */
function trainedCounts(run: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const name of readdirSync(join(run, 'logs'))) {
    for (const line of readFileSync(join(run, 'logs', name), 'utf8').split('\n').filter((l) => l !== '')) {
      const record = JSON.parse(line) as { msg: string; trial?: number };
      if (record.msg === 'trial done') counts.set(record.trial!, (counts.get(record.trial!) ?? 0) + 1);
    }
  }
  return counts;
}

function assertEachOnce(run: string, trials: number): void {
  assert.equal(trialFiles(run).length, trials);
  const counts = trainedCounts(run);
  assert.equal(counts.size, trials);
  assert.deepEqual([...counts].filter(([, c]) => c !== 1), [], 'no trial trained twice');
  assert.deepEqual(readdirSync(join(run, 'claims')), [], 'every claim released');
}

for (const target of ['the parent alone', 'the whole process group'] as const) {
  test(`SIGTERM to ${target}: workers gone within seconds, finished trials kept, the message; rerunning resumes`, async () => {
    const run = runDir();
    const args = ['train', ...TINY, '--trials', '30', '--workers', '2', '--grace', '1', '--run-dir', run];
    const { child, done } = start(args, { detached: target !== 'the parent alone' });
    await until('2 trials', () => trialFiles(run).length >= 2);
    const workers = workersOf(child.pid!);
    assert.equal(workers.length, 2);
    const signalled = performance.now();
    if (target === 'the parent alone') child.kill('SIGTERM');
    else process.kill(-child.pid!, 'SIGTERM');
    const result = await done;
    assert.ok(performance.now() - signalled < 5000, 'stopped within seconds');
    assert.equal(result.code, 143);
    const kept = Number(/stopped by SIGTERM: (\d+) trial\(s\) of this process kept, (\d+) of 30 finished in the run; rerun the same command to resume/.exec(result.stderr)?.[2]);
    assert.equal(kept, trialFiles(run).length, result.stderr);
    assert.ok(kept < 30);
    await until('workers gone', () => workers.every((pid) => !alive(pid)), 3);
    assert.deepEqual(readdirSync(join(run, 'claims')), []);
    const again = execFileSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: SLOW, stdio: ['ignore', 'pipe', 'ignore'] });
    assert.match(again, new RegExp(`train: ${30 - kept} trials run, ${kept} already finished`));
    assertEachOnce(run, 30);
  });
}

test('a killed worker and a stopped one: their trials are retried on fresh workers, the run completes', async () => {
  const run = runDir();
  const { child, done } = start(['train', ...TINY, '--trials', '40', '--workers', '2', '--stall-timeout', '2', '--run-dir', run]);
  await until('3 trials', () => trialFiles(run).length >= 3);
  const [first, second] = workersOf(child.pid!);
  process.kill(first!, 'SIGKILL');
  process.kill(second!, 'SIGSTOP'); // busy with a trial: no progress from now on
  const result = await done;
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /retrying trial\(s\) [\d, ]+ on a fresh worker: worker process \d+ was killed by SIGKILL/);
  assert.match(result.stderr, /retrying trial\(s\) [\d, ]+ on a fresh worker: worker process \d+ made no progress for 2 s \(--stall-timeout\) and was stopped/);
  assert.ok(!alive(second!), 'the stopped worker was killed');
  assertEachOnce(run, 40);
});

test('a trial whose worker dies twice stops the run with one line', async () => {
  const run = runDir();
  // The trainer kills the worker that runs it ($PPID of the trainer's shell), except when asked its version.
  const trainer = '[ -n "$MEMORIZE_QUERY" ] && exit 0; kill -9 $PPID';
  const { done } = start(['train', ...TINY, '--trials', '2', '--workers', '1', '--trainer', trainer, '--run-dir', run]);
  const result = await done;
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^memorize: trial 0 failed twice \(worker process \d+ was killed by SIGKILL.*; then worker process \d+ was killed by SIGKILL.*\); the finished trials are kept: fix the cause and rerun the same command to resume$/m);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
});

test('two trains on one directory at once train every trial once; status in flight, finished, missing', async () => {
  const run = runDir();
  const args = ['train', ...TINY, '--trials', '30', '--workers', '1', '--run-dir', run];
  const a = start(args);
  await until('run.json', () => existsSync(join(run, 'run.json')));
  const b = start(args);
  await until('claims of both', () => new Set(existsSync(join(run, 'claims')) ? readdirSync(join(run, 'claims')) : []).size >= 2 && trialFiles(run).length >= 2);
  const inFlight = formatStatus(await status({ runDir: run })); // in this process: a CLI start could come too late
  assert.match(inFlight, /^status: \d+ of 30 trials finished; [\d.]+ trials\/min .*; ETA /);
  assert.match(inFlight, /missing: \d+(-\d+)?/);
  assert.match(inFlight, /in flight: [12] claimed trial\(s\)\n +trial +holder +age +renewed +state\n[\s\S]*pid \d+ .* live/);
  const [ra, rb] = await Promise.all([a.done, b.done]);
  assert.equal(ra.code, 0, ra.stderr);
  assert.equal(rb.code, 0, rb.stderr);
  assertEachOnce(run, 30);
  const ran = [ra, rb].map((r) => Number(/train: (\d+) trials run/.exec(r.stdout)?.[1]));
  assert.equal(ran[0]! + ran[1]!, 30);
  assert.ok(ran.every((n) => n > 0), `both trained: ${ran.join(' + ')}`);
  const finished = execFileSync(process.execPath, [MAIN, 'status', '--run-dir', run], { encoding: 'utf8' });
  assert.match(finished, /^status: 30 of 30 trials finished; .*; complete\n {2}missing: none\n {2}in flight: none/);
  const missing = spawnSync(process.execPath, [MAIN, 'status', '--run-dir', join(run, 'nope')], { encoding: 'utf8' });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /^memorize: no run in .*nope \(run\.json not found\)/);
});

test('--shard: integers with i < N, else one line', () => {
  for (const bad of ['2/2', '1/0', 'a/3', '1.5/3', '-1/3']) {
    const result = spawnSync(process.execPath, [MAIN, 'train', ...TINY, '--trials', '2', '--shard', bad, '--run-dir', runDir()], { encoding: 'utf8' });
    assert.equal(result.status, 2, bad);
    assert.match(result.stderr, /^memorize: --shard must be i\/N with 0 <= i < N, got /);
  }
});

test('a Slurm job array does not shard by itself', () => {
  const run = runDir();
  const env = { ...process.env, SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '0', SLURM_JOB_ID: '77', SLURM_ARRAY_JOB_ID: '70' };
  const out = execFileSync(process.execPath, [MAIN, 'train', ...TINY, '--trials', '6', '--workers', '1', '--run-dir', run], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'ignore'] });
  assert.match(out, /train: 6 trials run/);
  assert.ok(readdirSync(join(run, 'logs')).some((n) => n.endsWith('-slurm70_3.jsonl')), 'the log names job and task');
  const record = JSON.parse(readFileSync(join(run, 'logs', readdirSync(join(run, 'logs'))[0]!), 'utf8').split('\n')[0]!) as { slurm?: unknown };
  assert.deepEqual(record.slurm, { job: '70', task: '3' });
});

test('network trials report every epoch (loss, accuracy, time) in the log', () => {
  const run = runDir();
  const args = ['train', '--model', 'mlp', '--seed', '3', '--limit-train', '200', '--limit-test', '80', '--trials', '2', '--epochs', '3', '--workers', '1', '--backend', 'cpu', '--run-dir', run];
  execFileSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const epochs = readdirSync(join(run, 'logs')).flatMap((name) => readFileSync(join(run, 'logs', name), 'utf8').split('\n').filter((l) => l.includes('"msg":"epoch"')).map((l) => JSON.parse(l) as { trials: number[]; report: { epoch: number; epochs: number; loss: number; accuracy: number; seconds: number } }));
  assert.deepEqual(epochs.map((e) => e.report.epoch), [1, 2, 3]);
  for (const { trials, report } of epochs) {
    assert.deepEqual(trials, [0, 1], 'the two trials train together (ensemble auto)');
    assert.ok(report.loss > 0 && report.loss < 10 && report.accuracy >= 0 && report.accuracy <= 1 && report.seconds > 0, JSON.stringify(report));
  }
  assert.ok(epochs[2]!.report.loss < epochs[0]!.report.loss, 'the loss falls');
});

test('a process killed while it claims a trial leaves no claim behind that would keep the trial from every other process', async () => {
  const run = runDir();
  const args = ['train', ...TINY, '--trials', '6', '--workers', '1', '--run-dir', run];
  // Stopped right after the claim's temporary is written, before it becomes the claim; then killed with its workers.
  const pause = 'temporary:trial-000003.claim';
  const child = spawn(process.execPath, [MAIN, ...args], { env: { ...SLOW, MEMORIZE_TEST_PAUSE_AFTER: pause }, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  await until('the pause', () => stderr.includes(`paused after ${pause}`));
  process.kill(-child.pid!, 'SIGKILL');
  await exited;
  assert.ok(!readdirSync(join(run, 'claims')).includes('trial-000003.claim'), 'no claim without its holder written in it');
  const again = execFileSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: SLOW, stdio: ['ignore', 'pipe', 'ignore'] });
  assert.doesNotMatch(again, /held by other processes/);
  assert.equal(trialFiles(run).length, 6, again);
  assert.deepEqual(readdirSync(join(run, 'claims')), [], 'the killed claimer\'s temporary was removed');
});
