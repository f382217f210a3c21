// Runs a list of pending trials on worker processes (scheduler.ts), in groups of up to the ensemble size
// (trained together), each group claimed first (claims.ts). Each trial file is written atomically by whoever
// ran it, so a killed run loses only the trials in flight. Also the messages between parent and workers.
import { UsageError } from '../errors.js';
import { checkModelSettings, ensembleSize } from '../models/registry.js';
import type { TrialExecutor, ExecutorSetup } from './executor.js';
import { usableCpus, workerCount } from './resources.js';
import { scheduleTrials, type SchedulerOptions, type SchedulerResult } from './scheduler.js';
import type { EpochReport } from './training-hooks.js';
import { allocatedGpus, mayUseCuda, nvidiaSmiGpus } from './worker-env.js';

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
export type WorkerReply = { type: 'ready' } | { type: 'done'; trials: TrialDone[] } | { type: 'epoch'; report: EpochReport } | { type: 'failed'; message: string; usage: boolean };

/** Turns a worker's failure report back into the error it was. */
export function failureFromReply(reply: { message: string; usage: boolean }): Error {
  return reply.usage ? new UsageError(reply.message) : new Error(reply.message);
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

/** How a run of pending trials is controlled: claims, stop requests, timeouts, and what to tell whom. */
export type RunControl = Omit<SchedulerOptions, 'setup' | 'pending' | 'workers' | 'inProcess' | 'groupSize' | 'gpus'>;

/** Runs `pending` trials in groups of up to the ensemble size on as many workers as asked (or as this process
 * may use), claiming each group first; calls onDone after each trial is written. */
export async function runPendingTrials(setup: ExecutorSetup, pending: number[], control: RunControl): Promise<SchedulerResult & { workers: number }> {
  const { config } = setup;
  const gpus = mayUseCuda(config.backend) ? allocatedGpus(process.env, nvidiaSmiGpus) : []; // only CUDA workers are given GPUs
  const wanted = workerCount(config.workers, config.backend, usableCpus(process.env), gpus, Infinity);
  const groups = groupTrials(pending, ensembleSize(config), wanted);
  const workers = Math.min(wanted, groups.length);
  // Instant trials (1-NN) run in this process; anything longer in forked workers, whose parent stays free to
  // renew claims, watch for stalls and handle signals.
  // (The tests' trial delay, see executor.ts, makes 1-NN trials slow: they then run in a worker like any slow trial.)
  const instant = checkModelSettings(config).kind === 'nearest-neighbour' && process.env['MEMORIZE_TEST_TRIAL_DELAY_MS'] === undefined;
  const inProcess = workers === 1 && config.trainer === null && instant;
  const groupSize = groups[0]?.length ?? 1;
  const result = await scheduleTrials({ ...control, setup, pending, workers, inProcess, groupSize, gpus });
  return { ...result, workers };
}
