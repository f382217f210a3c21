// Runs a list of pending trials on `workers` processes: in this process when there is one worker,
// otherwise in forked worker processes that each set up once and then take trials from a shared queue,
// in groups of up to the ensemble size (trained together). Each trial file is written atomically by whoever ran it,
// so a killed run loses only the trials in flight.
import { fork, type ChildProcess } from 'node:child_process';
import { UsageError } from '../errors.js';
import { ensembleSize } from '../models/registry.js';
import { TrialExecutor, type ExecutorSetup } from './executor.js';
import { mayUseCuda, nvidiaSmiGpus, visibleGpus, workerEnv } from './worker-env.js';

/** What the runner reports after each finished trial. */
export interface TrialDone {
  trial: number;
  seconds: number;
  testAccuracy: number;
  trainAccuracy: number;
  backend: string;
  failure?: string; // set when the external trainer failed this trial: no file was written
}

export type WorkerRequest = { type: 'setup'; setup: ExecutorSetup } | { type: 'run'; trials: number[] } | { type: 'stop' };
export type WorkerReply = { type: 'ready' } | { type: 'done'; trials: TrialDone[] } | { type: 'failed'; message: string; usage: boolean };

/** Turns a worker's failure report back into the error it was. */
export function failureFromReply(reply: { message: string; usage: boolean }): Error {
  return reply.usage ? new UsageError(reply.message) : new Error(reply.message);
}

/** A worker killed from outside (the out-of-memory killer, a scheduler, a user): the user's to fix, not a bug. */
function killedWorker(pid: number | undefined, signal: NodeJS.Signals): UsageError {
  const oom = signal === 'SIGKILL' ? ' (often the out-of-memory killer: try fewer --workers or a smaller --ensemble or --batch-size)' : '';
  return new UsageError(`worker process ${pid} was killed by ${signal}${oom}; the finished trials are kept: rerun \`memorize train\` to resume`);
}

/** Runs one group in `executor` and describes each finished trial. */
export async function runGroup(executor: TrialExecutor, trials: readonly number[]): Promise<TrialDone[]> {
  const records = await executor.run(trials);
  const { backend } = executor.metadata;
  return records.map((r) => ('failure' in r ? { trial: r.trial, seconds: NaN, testAccuracy: NaN, trainAccuracy: NaN, backend, failure: r.failure } : { trial: r.trial, seconds: r.seconds, testAccuracy: r.testAccuracy, trainAccuracy: r.trainAccuracy, backend }));
}

/** `pending` in consecutive groups of at most `size`, as many groups as there are workers or a multiple of it,
 * their sizes within one of each other: every worker gets the same share (20 trials, size 16, 2 workers: 10 + 10,
 * not 16 + 4). */
export function groupTrials(pending: readonly number[], size: number, workers: number): number[][] {
  const fewest = Math.ceil(pending.length / size);
  const count = Math.min(pending.length, Math.ceil(fewest / workers) * workers);
  const groups: number[][] = [];
  for (let g = 0, start = 0; g < count; g++) {
    const end = start + Math.floor(pending.length / count) + (g < pending.length % count ? 1 : 0);
    groups.push(pending.slice(start, end));
    start = end;
  }
  return groups;
}

async function runInProcess(setup: ExecutorSetup, groups: number[][], onDone: (done: TrialDone) => void): Promise<void> {
  const executor = await TrialExecutor.create(setup);
  try {
    for (const group of groups) (await runGroup(executor, group)).forEach(onDone);
  } finally {
    executor.dispose();
  }
}

function runInWorkers(setup: ExecutorSetup, groups: number[][], workers: number, onDone: (done: TrialDone) => void): Promise<void> {
  const queue = [...groups];
  const children: ChildProcess[] = [];
  const { backend } = setup.config;
  const gpus = mayUseCuda(backend) ? visibleGpus(process.env, nvidiaSmiGpus) : [];
  return new Promise<void>((resolve, reject) => {
    let running = 0;
    let failed = false;
    const fail = (error: Error): void => {
      if (failed) return;
      failed = true;
      for (const child of children) child.kill();
      reject(error);
    };
    const next = (child: ChildProcess): void => {
      const trials = queue.shift();
      child.send(trials === undefined ? { type: 'stop' } : ({ type: 'run', trials } satisfies WorkerRequest));
    };
    for (let w = 0; w < workers; w++) {
      const env = workerEnv(w, process.env, backend, gpus); // one GPU per worker for tfjs-node-gpu
      const child = fork(new URL('./worker.js', import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env });
      children.push(child);
      running++;
      child.on('message', (reply: WorkerReply) => {
        if (reply.type === 'failed') return fail(failureFromReply(reply));
        if (reply.type === 'done') reply.trials.forEach(onDone);
        next(child);
      });
      child.on('exit', (code, signal) => {
        running--;
        if (signal !== null && !failed) return fail(killedWorker(child.pid, signal));
        if (code !== 0) return fail(new Error(`worker process ${child.pid} exited with ${signal ?? `code ${code}`}`));
        if (running === 0 && !failed) resolve();
      });
      child.send({ type: 'setup', setup } satisfies WorkerRequest);
    }
  });
}

/** Runs `pending` trials in groups of up to the ensemble size; calls onDone after each trial is written. */
export async function runPendingTrials(setup: ExecutorSetup, pending: number[], workers: number, onDone: (done: TrialDone) => void): Promise<void> {
  const groups = groupTrials(pending, ensembleSize(setup.config), workers);
  const processes = Math.min(workers, groups.length);
  if (processes === 0) return;
  if (processes === 1) return runInProcess(setup, groups, onDone);
  return runInWorkers(setup, groups, processes, onDone);
}
