// `npm run test:slurm`: memorize on a real one-node Slurm (scripts/slurm/setup-slurm.sh, as root). One run
// directory gets `memorize slurm submit` (a 3-task array + the dependent estimate job), one task cancelled
// mid-run and resubmitted alone, a stepped array, a requeue, a task stopped at its time limit, and two plain
// `train` processes at once. Then: every trial exists once, none was trained twice (logs), the estimate job ran
// (estimate, pairs, report), and its estimates equal a single-process run's. A second run's one task meets its time
// limit mid-trial, and its estimate job refuses the incomplete run. Trials are 1-NN on tiny data, slowed by the tests-only
// MEMORIZE_TEST_TRIAL_DELAY_MS (src/train/executor.ts) so that there is something in flight to cancel.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readColumns } from '../../src/store/tables.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const TRIALS = 160;
const FLAGS = ['--model', 'knn', '--trials', String(TRIALS), '--seed', '5', '--limit-train', '300', '--limit-test', '100', '--workers', '1', '--progress-interval', '2'];
const SLOW = { ...process.env, MEMORIZE_TEST_TRIAL_DELAY_MS: '800' };

const sh = (cmd: string, args: string[], env = process.env): string => execFileSync(cmd, args, { encoding: 'utf8', env }).trim();
const memorize = (args: string[], env = process.env): string => sh(process.execPath, [MAIN, ...args], env);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const trialCount = (run: string): number => (existsSync(join(run, 'trials')) ? readdirSync(join(run, 'trials')).filter((n) => /^trial-\d+\.arrow$/.test(n)).length : 0);

async function until(what: string, seconds: number, check: () => boolean): Promise<void> {
  for (let waited = 0; !check(); waited += 0.5) {
    if (waited > seconds) assert.fail(`timed out after ${seconds} s waiting for ${what}`);
    await sleep(500);
  }
}

/** State of a job (or array task) as scontrol shows it: RUNNING, PENDING, COMPLETED, CANCELLED, TIMEOUT ... */
function jobState(id: string): string {
  return /JobState=(\w+)/.exec(sh('scontrol', ['show', 'job', id]))?.[1] ?? 'UNKNOWN';
}

const ourJobs = (): string[] => sh('squeue', ['-h', '-o', '%i', '-n', 'memorize-train,memorize-estimate']).split('\n').filter((l) => l !== '');

test('a run survives cancel + resubmit, a stepped array, a requeue, a time limit and two plain trains', { timeout: 600_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'memorize-slurm-'));
  const run = join(root, 'run');
  const reference = join(root, 'reference');
  memorize(['train', '--run-dir', reference, ...FLAGS]);
  memorize(['estimate', '--run-dir', reference]);

  const submitted = memorize(['slurm', 'submit', '--run-dir', run, '--tasks', '3', '--partition', 'race', '--cpus-per-task', '1', '--grace', '3', ...FLAGS], SLOW);
  const match = /train array job (\d+) .* estimate job (\d+)/.exec(submitted) ?? assert.fail(submitted);
  const [arrayJob, estimateJob] = [match[1]!, match[2]!];
  const script = join(run, 'slurm', 'train.sbatch');
  // A second run whose one task has a time limit (2 min) that comes mid-trial: its trials take 20 s, so the warning
  // SIGTERM (--signal=B:TERM@33, which Slurm may send up to 60 s early, sbatch(1): 27 to 87 s in; with a 1-minute
  // limit it once came 1 s in, before memorize had started) always finds one in flight that cannot finish within the
  // 3 s grace, and the run cannot be complete when its estimate job runs.
  const timedRun = join(root, 'timed');
  const timedSubmit = memorize(['slurm', 'submit', '--run-dir', timedRun, '--tasks', '1', '--time', '2', '--partition', 'race', '--cpus-per-task', '1', '--grace', '3', ...FLAGS], { ...process.env, MEMORIZE_TEST_TRIAL_DELAY_MS: '20000' });
  const [timed, timedEstimate] = (/train array job (\d+) .* estimate job (\d+)/.exec(timedSubmit) ?? assert.fail(timedSubmit)).slice(1) as [string, string];

  await until('20 trials', 120, () => trialCount(run) >= 20);
  sh('scancel', [`${arrayJob}_2`]);
  await until('task 2 cancelled', 30, () => jobState(`${arrayJob}_2`) === 'CANCELLED');
  const resubmitted = sh('sbatch', ['--parsable', '--array=2', script], SLOW);
  const stepped = sh('sbatch', ['--parsable', '--array=0-6:2', script], SLOW);
  sh('scontrol', ['requeue', `${arrayJob}_1`]);
  // Two plain processes at once on the same directory.
  const plain = [0, 1].map(() => spawn(process.execPath, [MAIN, 'train', '--run-dir', run, ...FLAGS], { env: SLOW, stdio: 'ignore' }));
  await Promise.all(plain.map((child) => new Promise((resolve) => child.on('exit', resolve))));
  await until('every job to end', 420, () => ourJobs().length === 0);

  // Every trial exactly once, none trained twice: one 'trial done' record per trial over every process's log.
  const names = readdirSync(join(run, 'trials')).sort();
  assert.deepEqual(names, Array.from({ length: TRIALS }, (_, k) => `trial-${String(k).padStart(6, '0')}.arrow`));
  const logs = readdirSync(join(run, 'logs'));
  const done = new Map<number, number>();
  for (const name of logs) {
    for (const line of readFileSync(join(run, 'logs', name), 'utf8').split('\n').filter((l) => l !== '')) {
      const record = JSON.parse(line) as { msg: string; trial?: number };
      if (record.msg === 'trial done') done.set(record.trial!, (done.get(record.trial!) ?? 0) + 1);
    }
  }
  assert.equal(done.size, TRIALS);
  assert.deepEqual([...done].filter(([, count]) => count !== 1), [], 'trials trained twice');
  assert.equal(readdirSync(join(run, 'claims')).length, 0, 'every claim released');
  // Log names and records carry the Slurm job and task; more than the first array's tasks trained.
  assert.ok(logs.some((n) => n.includes(`-slurm${arrayJob}_0.jsonl`)), logs.join(' '));
  const trainedBy = new Set([...logs].filter((n) => readFileSync(join(run, 'logs', n), 'utf8').includes('"trial done"')).map((n) => /-slurm(\d+)_/.exec(n)?.[1] ?? 'plain'));
  assert.ok(trainedBy.size >= 2, `trials trained by ${[...trainedBy].join(', ')}`);

  // The cancelled task said what it kept; the non-TTY progress lines are in the .out files.
  const out = (job: string, task: number): string => readFileSync(join(run, 'slurm', `train-${job}_${task}.out`), 'utf8');
  assert.match(out(arrayJob, 2), /stopped by SIGTERM: \d+ trial\(s\) of this process kept, .*rerun the same command to resume/);
  assert.match(out(arrayJob, 0), /^progress: \d+\/160 trials/m);
  const counts = [...out(arrayJob, 0).matchAll(/^progress: (\d+)\/160/gm)].map((m) => Number(m[1]));
  assert.ok(counts[counts.length - 1]! > counts.length, 'the lines count other processes\' trials too');
  assert.ok(existsSync(join(run, 'slurm', `train-${resubmitted}_2.out`)) && existsSync(join(run, 'slurm', `train-${stepped}_6.out`)));
  const timedOut = readFileSync(join(timedRun, 'slurm', `train-${timed}_0.out`), 'utf8');
  const said = /SIGTERM: taking no more trials; 1 in flight[\s\S]*stopped by SIGTERM: (\d+) trial\(s\) of this process kept/.exec(timedOut) ?? assert.fail(timedOut);
  // The warning comes 27 to 87 s in, so at most 4 of the 20-s trials were done: as many as the task said it kept. Its
  // estimate job ran (afterany) and refused the incomplete run, naming the trials without a file.
  const kept = trialCount(timedRun);
  assert.equal(Number(said[1]), kept, timedOut);
  assert.ok(kept <= 4, `${kept} trials of 20 s each before a warning at most 87 s in`);
  assert.match(readFileSync(join(timedRun, 'slurm', `estimate-${timedEstimate}.out`), 'utf8'), new RegExp(`is incomplete: ${TRIALS - kept} of ${TRIALS} trials have no file \\(trials ${kept}-${TRIALS - 1}\\)`));
  assert.equal(existsSync(join(timedRun, 'estimates')), false);
  assert.match(out(arrayJob, 1), /memorize train: .*\n[\s\S]*memorize train: /, 'the requeued task ran twice, appending to its .out');

  // The dependent job ran after all that and its estimates equal a single-process run's.
  const estimateOut = readFileSync(join(run, 'slurm', `estimate-${estimateJob}.out`), 'utf8');
  assert.match(estimateOut, /estimate: 160 trials/);
  assert.match(estimateOut, /pairs: \d+ high-influence pairs/);
  assert.match(estimateOut, /report: .*report\/index\.html/);
  assert.ok(existsSync(join(run, 'report', 'index.html')));
  const mem = async (dir: string) => (await readColumns(join(dir, 'estimates', 'memorization.arrow'), ['mem', 'se'], '')).columns;
  const [a, b] = [await mem(run), await mem(reference)];
  assert.deepEqual(Array.from(a.mem as Float64Array), Array.from(b.mem as Float64Array));
  assert.deepEqual(Array.from(a.se as Float64Array), Array.from(b.se as Float64Array));
});
