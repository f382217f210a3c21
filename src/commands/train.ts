// `memorize train`: create or resume a run and run its missing trials (those of this shard), claiming each
// (train/claims.ts) so that any number of processes on one run directory train every trial once.
import tfjsPackage from '@tensorflow/tfjs/package.json' with { type: 'json' };
import { hashConfig, subsetSize, type Config } from '../config/schema.js';
import { UsageError, usageCheck } from '../errors.js';
import { loadDataset, type DataOptions } from '../data/registry.js';
import { createLogger } from '../log.js';
import { checkModelSettings } from '../models/registry.js';
import { RunDirectory, type RunManifest } from '../store/run-dir.js';
import { probeTrainerVersion, writeTrainerData } from '../train/external-learner.js';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { ClaimBook } from '../train/claims.js';
import { runPendingTrials, type TrialDone } from '../train/runner.js';
import type { RunEvent } from '../train/scheduler.js';
import { StopRequest } from '../train/signals.js';
import { trialFileName } from '../store/run-dir.js';
import { memorizeVersion } from '../version.js';

/** Run only trials k with k mod count = index. */
export interface Shard {
  index: number;
  count: number;
}

export interface TrainOptions {
  config: Config;
  runDir: string;
  shard?: Shard;
  data?: DataOptions;
  onTrialDone?: (done: TrialDone, progress: { done: number; total: number }) => void;
  onStart?: (info: { pending: number; finished: number; manifest: RunManifest; workers: number | 'auto'; countFinished: () => Promise<number> }) => void;
  onEvent?: (event: RunEvent) => void; // claims, epochs, retries, a stop request
  stop?: StopRequest; // SIGTERM/SIGINT while training (the CLI installs one)
  graceSeconds?: number; // after a stop request, how long trials in flight may take to finish (default 20)
  stallSeconds?: number | null; // a worker with no progress for this long is killed and its trials retried (default 1800; null: never)
}

export interface TrainSummary {
  runDir: string;
  requested: number; // trials of this shard in [0, t)
  alreadyFinished: number; // of those, found on disk and skipped
  ran: number;
  seconds: number;
  meanTestAccuracy: number; // over the trials run now (NaN if none)
  backend: string | undefined;
  failed: { trial: number; failure: string }[]; // trials whose external trainer failed (no file written)
  workers: number; // processes used
  finishedInRun: number; // trials of this shard with a file at the end, by any process
  stoppedBy?: NodeJS.Signals; // a stop request ended the run early; rerunning resumes
  heldElsewhere: number[]; // trials of this shard that other processes' live claims hold (not run here)
  removedTemporaries: { files: number; bytes: number }; // leftovers of interrupted writes, removed
}

/** At most this many trials: one directory of trial files (the paper used 2,000 to 4,000). */
export const MAX_TRIALS = 1_000_000;
/** `estimate` holds (2n + n') x t bits in memory; at most this many bytes. */
const MAX_TRIAL_MATRIX_BYTES = 2 ** 34;

/** Refuses, before run.json is written, data sets too small to subsample and more trials than the run can hold. */
function checkRunSize(name: string, n: number, nTest: number, subsetRatio: number, trials: number): void {
  usageCheck(n >= 2, `${name} has ${n} training examples; memorize needs at least 2 (each subset has m = round(${subsetRatio} n) examples with 1 <= m <= n - 1): check the data files`);
  usageCheck(nTest >= 1, `${name} has no test examples; influence needs at least 1: check the data files`);
  const byMemory = Math.floor((MAX_TRIAL_MATRIX_BYTES * 8) / (2 * n + nTest));
  const most = Math.min(MAX_TRIALS, byMemory);
  if (trials > most) {
    const why = byMemory < MAX_TRIALS ? `\`memorize estimate\` holds (2n + n') x t bits, at most 16 GiB, and n = ${n}, n' = ${nTest}` : 'one directory of trial files';
    throw new UsageError(`--trials ${trials} is more than this run can hold: at most ${most} (${why}); the paper used 2,000 to 4,000`);
  }
}

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

const versions = (): Record<string, string> => ({
  memorize: memorizeVersion(),
  tfjs: tfjsPackage.version,
  node: process.version,
});

export async function train(options: TrainOptions): Promise<TrainSummary> {
  const started = performance.now();
  // An external trainer's version (its answer to MEMORIZE_QUERY=version) is part of the config and its hash.
  const config = options.config.trainer === null ? options.config : { ...options.config, trainerVersion: probeTrainerVersion(options.config.trainer) };
  checkModelSettings(config); // unknown models and impossible settings fail before any work
  const shard = options.shard ?? { index: 0, count: 1 };
  const dataset = await loadDataset(config, options.data ?? {});
  const n = dataset.train.labels.length;
  checkRunSize(dataset.name, n, dataset.test.labels.length, config.subsetRatio, config.trials);
  const outside = config.exclude.find((i) => i >= n);
  if (outside !== undefined) throw new UsageError(`exclusion index ${outside} is out of range: the training set has ${n} examples (indices 0 to ${n - 1}); exclude indices of train-examples.arrow`);
  if (config.exclude.length >= n - 1) throw new UsageError(`the exclusion removes ${config.exclude.length} of ${n} training examples; at least 2 must remain`);
  const m = subsetSize(n - config.exclude.length, config.subsetRatio); // drawn from S without the excluded examples
  const runDir = new RunDirectory(options.runDir);
  const configHash = hashConfig(config);
  const draft: RunManifest = {
    format: 'run/1',
    config,
    configHash,
    dataset: { name: dataset.name, fingerprint: dataset.fingerprint, n, nTest: dataset.test.labels.length, numClasses: dataset.numClasses, imageShape: dataset.imageShape },
    m,
    trials: config.trials,
    seed: config.seed,
    versions: versions(),
    createdAt: new Date().toISOString(),
  };
  const train = { label: dataset.train.labels, ...(dataset.train.subpopulations && { subpopulation: dataset.train.subpopulations }), ...(dataset.train.coarseLabels && { coarseLabel: dataset.train.coarseLabels }) };
  const test = { label: dataset.test.labels, ...(dataset.test.subpopulations && { subpopulation: dataset.test.subpopulations }), ...(dataset.test.coarseLabels && { coarseLabel: dataset.test.coarseLabels }) };
  const manifest = await runDir.createOrCheck(draft, train, test);
  const log = createLogger(runDir.logsDir, 'train');
  if (config.trainer !== null) await writeTrainerData(runDir.trainerDataDir, dataset);
  const removedTemporaries = await runDir.removeStaleTemporaries();

  const finished = await runDir.listTrials();
  for (const [trial, path] of finished) await runDir.readTrial(path, trial, manifest); // refuse to build on a bad file
  const mine = Array.from({ length: config.trials }, (_, k) => k).filter((k) => k % shard.count === shard.index);
  const pending = mine.filter((k) => !finished.has(k));
  log.info({ config, configHash, shard, requested: mine.length, finished: mine.length - pending.length, workers: config.workers }, 'train start');
  const countFinished = async (): Promise<number> => {
    const now = await runDir.listTrials(); // by any process: for progress that counts the whole run
    return mine.filter((k) => now.has(k)).length;
  };
  options.onStart?.({ pending: pending.length, finished: mine.length - pending.length, manifest, workers: config.workers, countFinished });

  let done = 0;
  let accuracySum = 0;
  let backend: string | undefined;
  const failed: TrainSummary['failed'] = [];
  // The run's hash as run.json has it: a run made before the config comment left the hash keeps its own.
  const setup = { config, configHash: manifest.configHash, runRoot: options.runDir, m, data: options.data ?? {} };
  const onDone = (trial: TrialDone): void => {
    if (trial.failure === undefined) {
      done++;
      accuracySum += trial.testAccuracy;
      log.info(trial, 'trial done');
    } else {
      failed.push({ trial: trial.trial, failure: trial.failure });
      log.info(trial, 'trial failed'); // the file log; the terminal gets one line for all failures
    }
    backend = trial.backend;
    options.onTrialDone?.(trial, { done: done + failed.length, total: pending.length });
  };
  const onEvent = (event: RunEvent): void => {
    log.info(event, event.type); // the CLI says what matters on the terminal
    options.onEvent?.(event);
  };
  const stop = options.stop ?? new StopRequest();
  const control = { claims: new ClaimBook(options.runDir), isFinished: (k: number) => exists(join(runDir.trialsDir, trialFileName(k))), stop, onDone, onEvent };
  const result = await runPendingTrials(setup, pending, { ...control, graceSeconds: options.graceSeconds ?? 20, stallSeconds: options.stallSeconds === undefined ? 1800 : options.stallSeconds });
  const summary = {
    runDir: options.runDir,
    requested: mine.length,
    alreadyFinished: mine.length - pending.length,
    ran: done,
    seconds: (performance.now() - started) / 1000,
    meanTestAccuracy: done > 0 ? accuracySum / done : NaN,
    backend,
    failed,
    workers: result.workers,
    finishedInRun: await countFinished(),
    heldElsewhere: (await Promise.all(result.heldElsewhere.map(async (k) => ((await control.isFinished(k)) ? [] : [k])))).flat(), // those still without a file
    ...(result.stoppedBy !== undefined && { stoppedBy: result.stoppedBy }),
    removedTemporaries,
  };
  log.info(summary, result.stoppedBy === undefined ? 'train done' : 'train stopped');
  return summary;
}
