// Sets up one process for running trials (data, backend, learner) and runs and stores trials in it.
// Used in-process for one worker and inside each worker process for several.
import type { Config } from '../config/schema.js';
import { loadDataset, type DataOptions } from '../data/registry.js';
import { modelEntry } from '../models/registry.js';
import { RunDirectory } from '../store/run-dir.js';
import type { TrialMetadata, TrialRecord } from '../store/trial-file.js';
import { createLearner } from './learner.js';
import { runTrial, type TrialContext } from './trial.js';

/** Everything a process needs to run trials of a run; plain data, so it can be sent to a worker. */
export interface ExecutorSetup {
  config: Config;
  configHash: string;
  runRoot: string;
  m: number;
  data: DataOptions;
}

export class TrialExecutor {
  private constructor(
    private readonly context: TrialContext,
    private readonly runDir: RunDirectory,
    readonly metadata: TrialMetadata,
  ) {}

  static async create(setup: ExecutorSetup): Promise<TrialExecutor> {
    const { config } = setup;
    let backend = 'js (no TensorFlow.js)';
    if (modelEntry(config.model).kind === 'network') {
      const { startBackend } = await import('../backend/select.js'); // only networks need TensorFlow.js backends
      const active = await startBackend(config.backend);
      backend = active.device ? `${active.name} (${active.device})` : active.name;
    }
    const dataset = await loadDataset(config, setup.data);
    const learner = createLearner(dataset, config);
    const metadata = { configHash: setup.configHash, dataset: dataset.name, backend };
    return new TrialExecutor({ config, dataset, learner, m: setup.m }, new RunDirectory(setup.runRoot), metadata);
  }

  /** Runs trial k and writes its file atomically. */
  async run(k: number): Promise<TrialRecord> {
    const record = await runTrial(k, this.context);
    await this.runDir.writeTrial(record, this.metadata);
    return record;
  }

  dispose(): void {
    this.context.learner.dispose();
  }
}
