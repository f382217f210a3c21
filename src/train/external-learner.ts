// The external-trainer learner (`train --trainer "<command>"`): runs the user's program once per trial with
// the trial's index, seed and subset, and reads back the predicted labels (and margins) it writes as .npy.
// A crash, a hang past --trainer-timeout or a wrong output fails that trial only (TrialFailure).
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Dataset } from '../data/types.js';
import { checkShape, readNpyFile, toInt32, writeNpyFile, type NpyArray } from '../store/npy.js';
import type { Learner, Predictions, TrialPlan } from './learner.js';

/** Where the trainer's inputs and outputs live: the run's data folder and one scratch folder per trial. */
export interface TrainerPaths {
  dataDir: string; // <run-dir>/trainer-data: train/test images and labels as .npy, written once per run
  workDir: string; // <run-dir>/trainer-work: trial-NNNNNN/ per running trial
  sourceDataDir?: string; // --data-dir, passed on as MEMORIZE_DATA_DIR
}

/** A trial that the trainer did not produce; the runner reports it and goes on with the other trials. */
export class TrialFailure extends Error {
  override name = 'TrialFailure';
  constructor(
    readonly trial: number,
    message: string,
  ) {
    super(message);
  }
}

const DATA_FILES = ['train_images', 'train_labels', 'test_images', 'test_labels'] as const;

/** Writes the data set as .npy for the trainer once per run (uint8 images [n, h, w, c], int32 labels [n]). */
export async function writeTrainerData(dataDir: string, dataset: Dataset): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const present = await Promise.all(DATA_FILES.map((name) => stat(join(dataDir, `${name}.npy`)).then(() => true, () => false)));
  if (present.every(Boolean)) return; // the run's data fingerprint was checked before: these files are this data
  const [h, w, c] = dataset.imageShape;
  for (const [split, data] of [['train', dataset.train], ['test', dataset.test]] as const) {
    const count = data.labels.length;
    await writeNpyFile(join(dataDir, `${split}_images.npy`), data.images, [count, h, w, c]);
    await writeNpyFile(join(dataDir, `${split}_labels.npy`), data.labels, [count]);
  }
}

/** The trainer's answer to MEMORIZE_QUERY=version (its first output line), or null if it gives none. */
export function probeTrainerVersion(command: string): string | null {
  const result = spawnSync(command, { shell: true, encoding: 'utf8', timeout: 60_000, env: { ...process.env, MEMORIZE_QUERY: 'version' }, stdio: ['ignore', 'pipe', 'ignore'] });
  const line = result.status === 0 ? result.stdout.split('\n').find((l) => l.trim().length > 0)?.trim() : undefined;
  return line && line.length <= 200 ? line : null;
}

const trialDirName = (trial: number): string => `trial-${String(trial).padStart(6, '0')}`;

/** Last non-empty line of the trainer's log, for the one-line failure message. */
function lastLogLine(logPath: string): string {
  const lines = readFileSync(logPath, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  const last = lines[lines.length - 1];
  return last === undefined ? 'no output' : `last output line: ${last.slice(0, 300)}`;
}

/** Runs the command in its own process group; stops the whole group after `timeoutSeconds`. */
function runCommand(command: string, env: NodeJS.ProcessEnv, logPath: string, timeoutSeconds: number | null): Promise<{ code: number | null; signal: string | null; timedOut: boolean }> {
  const log = openSync(logPath, 'w');
  const child = spawn(command, { shell: true, detached: true, env, stdio: ['ignore', log, log] });
  closeSync(log);
  const stopGroup = (): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // the group has already exited
    }
  };
  process.on('exit', stopGroup); // a memorize that stops leaves no trainer behind
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const timer = timeoutSeconds === null ? undefined : setTimeout(() => ((timedOut = true), stopGroup()), timeoutSeconds * 1000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      process.off('exit', stopGroup);
      if (timedOut) stopGroup();
      resolve({ code, signal, timedOut });
    });
  });
}

export class ExternalLearner implements Learner {
  constructor(
    private readonly dataset: Dataset,
    private readonly config: Config & { trainer: string },
    private readonly paths: TrainerPaths,
  ) {}

  async fitPredict(plans: readonly TrialPlan[]): Promise<Predictions[]> {
    const predictions: Predictions[] = [];
    for (const plan of plans) predictions.push(await this.runTrial(plan));
    return predictions;
  }

  private async runTrial(plan: TrialPlan): Promise<Predictions> {
    const dir = join(this.paths.workDir, trialDirName(plan.trial));
    await rm(dir, { recursive: true, force: true }); // memorize's own scratch folder, left by an interrupted trial
    await mkdir(dir, { recursive: true });
    const subsetPath = join(dir, 'subset.npy');
    await writeNpyFile(subsetPath, plan.subset, [plan.subset.length]);
    const [h, w, c] = this.dataset.imageShape;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      MEMORIZE_TRIAL: String(plan.trial),
      MEMORIZE_SEED: String(plan.seed),
      MEMORIZE_SUBSET: subsetPath,
      MEMORIZE_OUT: dir,
      MEMORIZE_DATA: this.paths.dataDir,
      MEMORIZE_DATASET: this.dataset.name,
      MEMORIZE_NUM_CLASSES: String(this.dataset.numClasses),
      MEMORIZE_IMAGE_SHAPE: `${h},${w},${c}`,
      MEMORIZE_RECORD_MARGINS: this.config.recordMargins ? '1' : '0',
      MEMORIZE_CONFIG: JSON.stringify(this.config),
      ...(this.paths.sourceDataDir !== undefined && { MEMORIZE_DATA_DIR: this.paths.sourceDataDir }),
    };
    const logPath = join(dir, 'trainer.log');
    const fail = (what: string): never => {
      throw new TrialFailure(plan.trial, `trial ${plan.trial}: ${what} (log: ${logPath})`);
    };
    const result = await runCommand(this.config.trainer, env, logPath, this.config.trainerTimeout);
    if (result.timedOut) fail(`the trainer ran past --trainer-timeout ${this.config.trainerTimeout} s and was stopped`);
    if (result.code !== 0) fail(`the trainer exited with ${result.signal ?? `code ${result.code}`}; ${lastLogLine(logPath)}`);
    const predictions = await this.readOutputs(dir, fail);
    await rm(dir, { recursive: true, force: true });
    return predictions;
  }

  private async readOutputs(dir: string, fail: (what: string) => never): Promise<Predictions> {
    const n = this.dataset.train.labels.length;
    const nTest = this.dataset.test.labels.length;
    const read = async (name: string, length: number): Promise<NpyArray> => {
      const path = join(dir, name);
      try {
        const array = await readNpyFile(path);
        checkShape(array, [length], name);
        return array;
      } catch (error) {
        return fail(`${(error as Error).message.replace(`cannot read ${path}`, `the trainer wrote no ${name}`)}`);
      }
    };
    const labels = async (name: string, length: number): Promise<Int32Array> => {
      const array = await read(name, length);
      let values: Int32Array;
      try {
        values = toInt32(array, name);
      } catch (error) {
        return fail((error as Error).message);
      }
      const bad = values.findIndex((v) => v < 0 || v >= this.dataset.numClasses);
      if (bad >= 0) fail(`${name} holds ${values[bad]} at position ${bad}, outside the classes [0, ${this.dataset.numClasses})`);
      return values;
    };
    const margins = async (name: string, length: number): Promise<Float32Array> => {
      const { data, dtype } = await read(name, length);
      if (!(data instanceof Float32Array || data instanceof Float64Array)) return fail(`${name} has dtype ${dtype}; expected float32 or float64`);
      return Float32Array.from(data);
    };
    const predictions: Predictions = { train: await labels('train_predictions.npy', n), test: await labels('test_predictions.npy', nTest) };
    if (this.config.recordMargins) {
      predictions.trainMargin = await margins('train_margins.npy', n);
      predictions.testMargin = await margins('test_margins.npy', nTest);
    }
    return predictions;
  }

  dispose(): void {}
}
