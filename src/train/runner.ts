// Runs a list of pending trials on `workers` processes: in this process when there is one worker,
// otherwise in forked worker processes that each set up once and then take trials from a shared queue.
// Each trial file is written atomically by whoever ran it, so a killed run loses only trials in flight.
import { fork, type ChildProcess } from 'node:child_process';
import { UsageError } from '../errors.js';
import { TrialExecutor, type ExecutorSetup } from './executor.js';
import { mayUseCuda, nvidiaSmiGpus, visibleGpus, workerEnv } from './worker-env.js';

/** What the runner reports after each finished trial. */
export interface TrialDone {
  trial: number;
  seconds: number;
  testAccuracy: number;
  trainAccuracy: number;
  backend: string;
}

export type WorkerRequest = { type: 'setup'; setup: ExecutorSetup } | { type: 'run'; trial: number } | { type: 'stop' };
export type WorkerReply = { type: 'ready' } | ({ type: 'done' } & TrialDone) | { type: 'failed'; message: string; usage: boolean };

/** Turns a worker's failure report back into the error it was. */
export function failureFromReply(reply: { message: string; usage: boolean }): Error {
  return reply.usage ? new UsageError(reply.message) : new Error(reply.message);
}

async function runInProcess(setup: ExecutorSetup, pending: number[], onDone: (done: TrialDone) => void): Promise<void> {
  const executor = await TrialExecutor.create(setup);
  try {
    for (const trial of pending) {
      const record = await executor.run(trial);
      onDone({ trial, seconds: record.seconds, testAccuracy: record.testAccuracy, trainAccuracy: record.trainAccuracy, backend: executor.metadata.backend });
    }
  } finally {
    executor.dispose();
  }
}

function runInWorkers(setup: ExecutorSetup, pending: number[], workers: number, onDone: (done: TrialDone) => void): Promise<void> {
  const queue = [...pending];
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
      const trial = queue.shift();
      child.send(trial === undefined ? { type: 'stop' } : ({ type: 'run', trial } satisfies WorkerRequest));
    };
    for (let w = 0; w < workers; w++) {
      const env = workerEnv(w, process.env, backend, gpus); // one GPU per worker for tfjs-node-gpu
      const child = fork(new URL('./worker.js', import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env });
      children.push(child);
      running++;
      child.on('message', (reply: WorkerReply) => {
        if (reply.type === 'failed') return fail(failureFromReply(reply));
        if (reply.type === 'done') onDone(reply);
        next(child);
      });
      child.on('exit', (code, signal) => {
        running--;
        if (code !== 0) return fail(new Error(`worker process ${child.pid} exited with ${signal ?? `code ${code}`}`));
        if (running === 0 && !failed) resolve();
      });
      child.send({ type: 'setup', setup } satisfies WorkerRequest);
    }
  });
}

/** Runs `pending` trials; calls onDone after each is written. */
export async function runTrials(setup: ExecutorSetup, pending: number[], workers: number, onDone: (done: TrialDone) => void): Promise<void> {
  const processes = Math.min(workers, pending.length);
  if (processes === 0) return;
  if (processes === 1) return runInProcess(setup, pending, onDone);
  return runInWorkers(setup, pending, processes, onDone);
}
