// The run directory (format "run/1"): run.json written once and checked on resume, the example labels,
// one atomically written file per finished trial, estimates and pairs. See README, "File formats".
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { resultConfig, type Config } from '../config/schema.js';
import { UsageError } from '../errors.js';
import { isTemporaryName, writeFileAtomic } from './atomic.js';
import { readColumns, writeColumns, type Columns } from './tables.js';
import { decodeTrial, encodeTrial, type StoredTrial, type TrialMetadata, type TrialRecord } from './trial-file.js';

export const RUN_FORMAT = 'run/1';
const TRIAL_NAME = /^trial-(\d{6,})\.arrow$/;

export interface RunManifest {
  format: typeof RUN_FORMAT;
  config: Config; // resolved config of the run's first invocation (trials: the largest requested)
  configHash: string; // sha256 of the result-determining part of config
  dataset: { name: string; fingerprint: string; n: number; nTest: number; numClasses: number; imageShape: [number, number, number] };
  m: number; // subset size
  trials: number; // t requested
  seed: number;
  versions: Record<string, string>;
  createdAt: string;
  imported?: { from: string; runs?: string[] }; // `memorize import`: the source, and the authors' run folders in trial order
}

/** Labels (and ground truth where known) of one split, as stored beside the trials. */
export interface ExampleTable {
  label: Int32Array;
  subpopulation?: Int32Array;
  coarseLabel?: Int32Array;
}

export function trialFileName(trial: number): string {
  return `trial-${String(trial).padStart(6, '0')}.arrow`;
}

function describeDifference(stored: Config, current: Config): string {
  const a = resultConfig(stored);
  const b = resultConfig(current);
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  const differing = keys.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
  return differing.map((k) => `${k}: ${JSON.stringify(a[k])} in the run, ${JSON.stringify(b[k])} now`).join('; ');
}

/** Refuses a run.json (written by hand or by another program) that lacks a field memorize relies on. */
function checkManifestFields(manifest: RunManifest, path: string): void {
  const d = manifest.dataset as Partial<RunManifest['dataset']> | undefined;
  const missing = [
    typeof manifest.configHash !== 'string' && 'configHash (a string)',
    (typeof manifest.config !== 'object' || manifest.config === null) && 'config (an object)',
    typeof d?.name !== 'string' && 'dataset.name',
    typeof d?.fingerprint !== 'string' && 'dataset.fingerprint',
    ...(['n', 'nTest', 'numClasses'] as const).map((k) => !Number.isSafeInteger(d?.[k]) && `dataset.${k} (an integer)`),
  ].filter((m): m is string => typeof m === 'string');
  if (missing.length > 0) throw new UsageError(`${path} lacks ${missing.join(', ')}; see the README's "File formats" for what run.json holds`);
}

/** Refuses labels that do not match the run: another count, or classes outside [0, numClasses). */
function checkLabels(labels: Int32Array, count: number, numClasses: number, path: string): void {
  if (labels.length !== count) throw new UsageError(`${path} has ${labels.length} rows, run.json says ${count} examples; make the two agree`);
  const bad = labels.findIndex((y) => y < 0 || y >= numClasses);
  if (bad >= 0) throw new UsageError(`${path}: label ${labels[bad]} at row ${bad} is outside the classes [0, ${numClasses}) of run.json; fix the labels or dataset.numClasses`);
}

export class RunDirectory {
  readonly manifestPath: string;
  readonly trialsDir: string;
  readonly estimatesDir: string;
  readonly logsDir: string;
  readonly representationsPath: string; // the linear probe's, see representations-file.ts
  readonly trainerDataDir: string; // an external trainer's data as .npy, see train/external-learner.ts
  readonly trainerWorkDir: string; // an external trainer's per-trial scratch folders

  constructor(readonly root: string) {
    this.manifestPath = join(root, 'run.json');
    this.trialsDir = join(root, 'trials');
    this.estimatesDir = join(root, 'estimates');
    this.logsDir = join(root, 'logs');
    this.representationsPath = join(root, 'probe-representations.arrow');
    this.trainerDataDir = join(root, 'trainer-data');
    this.trainerWorkDir = join(root, 'trainer-work');
  }

  path(...parts: string[]): string {
    return join(this.root, ...parts);
  }

  /** Reads run.json, or explains that there is no run here. */
  async readManifest(): Promise<RunManifest> {
    let text: string;
    try {
      text = await readFile(this.manifestPath, 'utf8');
    } catch {
      throw new UsageError(`no run in ${this.root} (run.json not found); check --run-dir, or start one with \`memorize train --run-dir ${this.root}\``);
    }
    let manifest: RunManifest;
    try {
      manifest = JSON.parse(text) as RunManifest;
    } catch {
      throw new UsageError(`${this.manifestPath} is not valid JSON; restore it or start a new run in another --run-dir`);
    }
    const format: string = manifest.format; // as written in the file, which may be another version
    if (format !== RUN_FORMAT) throw new UsageError(`${this.manifestPath} has format ${JSON.stringify(format)}, this memorize reads ${RUN_FORMAT}`);
    checkManifestFields(manifest, this.manifestPath);
    return manifest;
  }

  /** Creates the run (run.json and example tables) or checks that `manifest` matches the existing one.
   * Returns the manifest in force. A changed config or data set is refused. */
  async createOrCheck(manifest: RunManifest, train: ExampleTable, test: ExampleTable): Promise<RunManifest> {
    await mkdir(this.trialsDir, { recursive: true });
    await mkdir(this.logsDir, { recursive: true });
    let stored = (await this.hasManifestFile()) ? await this.readManifest() : undefined;
    if (!stored) {
      await this.writeExamples('train-examples.arrow', train);
      await this.writeExamples('test-examples.arrow', test);
      await writeFileAtomic(this.manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
      return manifest;
    }
    if (stored.dataset.fingerprint !== manifest.dataset.fingerprint) {
      throw new UsageError(`${this.root} was made with different data (${stored.dataset.name}, fingerprint ${stored.dataset.fingerprint.slice(0, 12)}, now ${manifest.dataset.name}, ${manifest.dataset.fingerprint.slice(0, 12)}); use a new --run-dir or the original data`);
    }
    if (stored.configHash !== manifest.configHash) {
      throw new UsageError(`${this.root} was made with a different config (${describeDifference(stored.config, manifest.config)}); use a new --run-dir or the original settings`);
    }
    if (manifest.trials > stored.trials) {
      stored = { ...stored, trials: manifest.trials, config: { ...stored.config, trials: manifest.trials } };
      await writeFileAtomic(this.manifestPath, `${JSON.stringify(stored, null, 2)}\n`);
    }
    return stored;
  }

  private async hasManifestFile(): Promise<boolean> {
    return readFile(this.manifestPath).then(() => true, () => false);
  }

  private async writeExamples(name: string, table: ExampleTable): Promise<void> {
    const columns: Columns = { index: Int32Array.from(table.label, (_, i) => i), label: table.label };
    if (table.subpopulation) columns['subpopulation'] = table.subpopulation;
    if (table.coarseLabel) columns['coarse_label'] = table.coarseLabel;
    await writeColumns(this.path(name), columns, { 'memorize.format': 'examples/1' });
  }

  /** Labels and ground truth of one split, checked against the run's example count and classes. */
  async readExamples(split: 'train' | 'test', manifest: RunManifest): Promise<ExampleTable> {
    const path = this.path(`${split}-examples.arrow`);
    const remedy = 'it is written by `memorize train`; rerun it with the same settings to restore the file';
    const { columns } = await readColumns(path, ['label'], remedy);
    const table: ExampleTable = { label: columns.label as Int32Array };
    checkLabels(table.label, split === 'train' ? manifest.dataset.n : manifest.dataset.nTest, manifest.dataset.numClasses, path);
    const optional = await readColumns(path, ['subpopulation'], remedy).catch(() => undefined);
    if (optional) table.subpopulation = optional.columns.subpopulation as Int32Array;
    return table;
  }

  /** Finished trials by index. Temporaries of interrupted writes are skipped; any other file is refused. */
  async listTrials(): Promise<Map<number, string>> {
    let names: string[];
    try {
      names = await readdir(this.trialsDir);
    } catch {
      throw new UsageError(`no trials directory in ${this.root}; run \`memorize train --run-dir ${this.root}\` first`);
    }
    const trials = new Map<number, string>();
    for (const name of names.sort()) {
      if (isTemporaryName(name)) continue;
      const match = TRIAL_NAME.exec(name);
      if (!match) {
        throw new UsageError(`${join(this.trialsDir, name)} is not a trial file (expected trial-NNNNNN.arrow); move it out of ${this.trialsDir}`);
      }
      trials.set(Number(match[1]), join(this.trialsDir, name));
    }
    return trials;
  }

  async writeTrial(record: TrialRecord, metadata: TrialMetadata): Promise<void> {
    await writeFileAtomic(join(this.trialsDir, trialFileName(record.trial)), encodeTrial(record, metadata));
  }

  /** Reads and validates one trial file against the run (sizes, config hash, trial index). */
  async readTrial(path: string, trial: number, manifest: RunManifest): Promise<StoredTrial> {
    return this.checkTrial(await readFile(path), path, trial, manifest);
  }

  /** Decodes and validates the bytes of one trial file, read from `path`, as readTrial does. */
  checkTrial(bytes: Uint8Array, path: string, trial: number, manifest: RunManifest): StoredTrial {
    const stored = decodeTrial(bytes, path, { n: manifest.dataset.n, nTest: manifest.dataset.nTest });
    if (stored.trial !== trial) throw new UsageError(`${path} holds trial ${stored.trial}, not ${trial}; rename it to ${trialFileName(stored.trial)} or move it out of ${this.trialsDir}`);
    if (stored.metadata.configHash !== manifest.configHash) {
      throw new UsageError(`${path} comes from a run with another config (hash ${stored.metadata.configHash.slice(0, 12)}); move it out of ${this.trialsDir}`);
    }
    return stored;
  }
}
