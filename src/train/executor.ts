// Sets up one process for running trials (data, backend, learner) and runs and stores trials in it.
// Used in-process for one worker and inside each worker process for several.
import { checkDeviceErrors } from '../backend/device-errors.js';
import type { Config } from '../config/schema.js';
import { loadDataset, type DataOptions } from '../data/registry.js';
import { checkModelSettings } from '../models/registry.js';
import { readOrCreateRepresentations } from '../store/representations-file.js';
import { RunDirectory } from '../store/run-dir.js';
import type { TrialMetadata, TrialRecord } from '../store/trial-file.js';
import { TrialFailure } from './external-learner.js';
import { createLearner } from './learner.js';
import { computeRepresentations } from './representations.js';
import { runTrials, type TrialContext } from './trial.js';

/** Everything a process needs to run trials of a run; plain data, so it can be sent to a worker. */
export interface ExecutorSetup {
  config: Config;
  configHash: string;
  runRoot: string;
  m: number;
  data: DataOptions;
}

/** A trial whose trainer failed: no file was written, the others go on. */
export interface FailedTrial {
  trial: number;
  failure: string;
}

/** Tests only: MEMORIZE_TEST_TRIAL_DELAY_MS makes each trial take that much longer (1-NN trials take
 * milliseconds), so that a test can cancel, kill, stop or requeue a run while its trials are in flight. */
function testTrialDelay(trials: number): Promise<void> {
  const ms = Number(process.env['MEMORIZE_TEST_TRIAL_DELAY_MS'] ?? 0) * trials;
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

export class TrialExecutor {
  private constructor(
    private readonly context: TrialContext,
    private readonly runDir: RunDirectory,
    readonly metadata: TrialMetadata,
  ) {}

  static async create(setup: ExecutorSetup): Promise<TrialExecutor> {
    const { config } = setup;
    const entry = checkModelSettings(config);
    let backend = config.trainer === null ? 'js (no TensorFlow.js)' : `external trainer: ${config.trainer}`;
    if (entry.kind !== 'nearest-neighbour' && config.trainer === null) {
      const { startBackend } = await import('../backend/select.js'); // only knn runs without TensorFlow.js
      const active = await startBackend(config.backend);
      backend = active.device ? `${active.name} (${active.device})` : active.name;
    }
    const dataset = await loadDataset(config, setup.data);
    const runDir = new RunDirectory(setup.runRoot);
    // The linear probe's representation network is trained once per run; every process reads the stored result.
    const representations =
      entry.kind === 'linear-probe'
        ? await readOrCreateRepresentations(runDir.representationsPath, setup.configHash, { n: dataset.train.labels.length, nTest: dataset.test.labels.length }, () => computeRepresentations(dataset, config))
        : undefined;
    const trainerPaths = { dataDir: runDir.trainerDataDir, workDir: runDir.trainerWorkDir, ...(setup.data.dataDir !== undefined && { sourceDataDir: setup.data.dataDir }) };
    const learner = await createLearner(dataset, config, representations, trainerPaths);
    await checkDeviceErrors('the set-up of the learner');
    const metadata = { configHash: setup.configHash, dataset: dataset.name, backend };
    return new TrialExecutor({ config, dataset, learner, m: setup.m }, runDir, metadata);
  }

  /** Runs a group of trials (together when the config's ensemble stacks them) and writes each one's file
   * atomically, unless the GPU reported an error meanwhile. A trial whose external trainer failed comes back
   * as a FailedTrial, with no file. */
  async run(ks: readonly number[]): Promise<(TrialRecord | FailedTrial)[]> {
    let records: TrialRecord[];
    try {
      await testTrialDelay(ks.length);
      records = await runTrials(ks, this.context);
    } catch (error) {
      if (error instanceof TrialFailure) return [{ trial: error.trial, failure: error.message }];
      throw error;
    }
    await checkDeviceErrors(`trial${ks.length > 1 ? 's' : ''} ${ks.join(', ')}`);
    for (const record of records) await this.runDir.writeTrial(record, this.metadata);
    return records;
  }

  dispose(): void {
    this.context.learner.dispose();
  }
}
