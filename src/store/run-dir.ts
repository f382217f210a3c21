// The run directory (format "run/1"): run.json created once (the first writer wins) and checked on resume,
// the example labels, one atomically written file per finished trial, estimates and pairs. See README,
// "File formats" and "Resuming".
import { lstat, mkdir, readFile, readdir } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { hashConfig, knownConfigHashes, resultConfig, type Config } from '../config/schema.js';
import { UsageError } from '../errors.js';
import { formatBytes, isTemporaryName, removeStaleTemporaries, writeFileAtomic, writeFileAtomicIfAbsent } from './atomic.js';
import { fileSystemError, onFileSystem } from './fs-errors.js';
import { encodeColumns, readColumns, type Columns } from './tables.js';
import { decodeTrial, encodeTrial, type StoredTrial, type TrialMetadata, type TrialRecord } from './trial-file.js';
import { checkTrialOfRun, runTrialSizes } from './trial-values.js';

export const RUN_FORMAT = 'run/1';
const TRIAL_NAME = /^trial-(\d{6,})\.arrow$/;

export interface RunManifest {
  format: typeof RUN_FORMAT;
  config: Config; // resolved config of the run's first invocation (trials: the largest requested)
  configHash: string; // the run's identity, in every trial file: sha256 of the result-determining part of config (as the first invocation computed it)
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

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown, min: number): boolean => Number.isSafeInteger(v) && (v as number) >= min;

/** What is wrong with a parsed run.json, or undefined if it has the shape of one. */
function manifestProblem(value: unknown): string | undefined {
  if (!isObject(value)) return `it holds ${JSON.stringify(value)}, not an object`;
  if (value['format'] !== RUN_FORMAT) return `it has format ${JSON.stringify(value['format'] ?? null)}, this memorize reads ${RUN_FORMAT}`;
  if (!isObject(value['config'])) return 'it has no "config" object';
  if (typeof value['configHash'] !== 'string' || !/^[0-9a-f]{64}$/.test(value['configHash'])) return 'its "configHash" is not a sha256';
  const dataset = value['dataset'];
  if (!isObject(dataset) || typeof dataset['name'] !== 'string' || typeof dataset['fingerprint'] !== 'string') return 'it has no "dataset" name and fingerprint';
  if (!isCount(dataset['n'], 2) || !isCount(dataset['nTest'], 1) || !isCount(dataset['numClasses'], 1)) return 'its "dataset" sizes (n >= 2, nTest >= 1, numClasses) are missing or wrong';
  if (!isCount(value['m'], 1) || (value['m'] as number) > (dataset['n'] as number)) return `its "m" is not an integer in [1, n]`;
  if (!isCount(value['trials'], 1)) return 'its "trials" is not an integer >= 1';
  return undefined;
}

const EXAMPLE_FILES = { train: 'train-examples.arrow', test: 'test-examples.arrow' } as const;

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
  readonly cacheDir: string; // the trial-matrix cache (src/store/trial-matrix-cache.ts)
  readonly claimsDir: string; // claims on trials in flight (src/train/claims.ts)
  readonly representationsPath: string; // the linear probe's, see representations-file.ts
  readonly trainerDataDir: string; // an external trainer's data as .npy, see train/external-learner.ts
  readonly trainerWorkDir: string; // an external trainer's per-trial scratch folders
  private manifestInForce: RunManifest | undefined; // read once by writeTrial

  constructor(readonly root: string) {
    this.manifestPath = join(root, 'run.json');
    this.trialsDir = join(root, 'trials');
    this.estimatesDir = join(root, 'estimates');
    this.logsDir = join(root, 'logs');
    this.cacheDir = join(root, 'cache');
    this.claimsDir = join(root, 'claims');
    this.representationsPath = join(root, 'probe-representations.arrow');
    this.trainerDataDir = join(root, 'trainer-data');
    this.trainerWorkDir = join(root, 'trainer-work');
  }

  path(...parts: string[]): string {
    return join(this.root, ...parts);
  }

  /** Reads and checks run.json, or explains that there is no run here. */
  async readManifest(): Promise<RunManifest> {
    let text: string;
    try {
      text = await readFile(this.manifestPath, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EISDIR' || code === 'EACCES') throw new UsageError(`cannot read ${this.manifestPath} (${code}); it must be the run's JSON file: check --run-dir`);
      throw new UsageError(`no run in ${this.root} (run.json not found); check --run-dir, or start one with \`memorize train --run-dir ${this.root}\``);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new UsageError(`${this.manifestPath} is not valid JSON; restore it or start a new run in another --run-dir`);
    }
    const problem = manifestProblem(parsed);
    if (problem) throw new UsageError(`${this.manifestPath} is not a memorize run.json (${problem}); restore it or start a new run in another --run-dir`);
    const manifest = parsed as RunManifest;
    if (!knownConfigHashes(manifest.config).includes(manifest.configHash)) {
      throw new UsageError(`${this.manifestPath} was edited: its configHash ${manifest.configHash.slice(0, 12)} is not the hash of its config (${hashConfig(manifest.config).slice(0, 12)}); restore the file, or start a new run in another --run-dir`);
    }
    return manifest;
  }

  /** Creates the run or joins the existing one: run.json is created exclusively, so of several commands
   * starting at once the first wins, one with the same config and data joins it and any other is refused
   * with the differences named. Writes the example tables if absent (restoring them from the data).
   * Returns the manifest in force. */
  async createOrCheck(manifest: RunManifest, train: ExampleTable, test: ExampleTable): Promise<RunManifest> {
    await this.makeDirectory(this.root);
    await this.makeDirectory(this.trialsDir);
    await this.makeDirectory(this.logsDir);
    const text = `${JSON.stringify(manifest, null, 2)}\n`;
    let stored = (await this.hasManifestFile()) || !(await writeFileAtomicIfAbsent(this.manifestPath, text)) ? await this.readManifest() : manifest;
    if (stored !== manifest) {
      if (stored.dataset.fingerprint !== manifest.dataset.fingerprint) {
        throw new UsageError(`${this.root} was made with different data (${stored.dataset.name}, fingerprint ${stored.dataset.fingerprint.slice(0, 12)}, now ${manifest.dataset.name}, ${manifest.dataset.fingerprint.slice(0, 12)}); use a new --run-dir or the original data`);
      }
      if (hashConfig(stored.config) !== hashConfig(manifest.config)) {
        throw new UsageError(`${this.root} was made with a different config (${describeDifference(stored.config, manifest.config)}); use a new --run-dir or the original settings`);
      }
      if (manifest.trials > stored.trials) {
        stored = { ...stored, trials: manifest.trials, config: { ...stored.config, trials: manifest.trials } };
        await writeFileAtomic(this.manifestPath, `${JSON.stringify(stored, null, 2)}\n`);
      }
    }
    await this.writeOrCheckExamples('train', train, stored.dataset.n);
    await this.writeOrCheckExamples('test', test, stored.dataset.nTest);
    this.manifestInForce = stored;
    return stored;
  }

  /** mkdir -p, with a one-line error when a plain file is in the way or the place is not writable. */
  private async makeDirectory(path: string): Promise<void> {
    try {
      await mkdir(path, { recursive: true });
    } catch (error) {
      throw fileSystemError(error, path, 'a directory');
    }
    const info = await lstat(path);
    if (!info.isDirectory()) throw new UsageError(`${path} is a ${info.isSymbolicLink() ? 'symbolic link' : 'plain file'}, memorize needs a directory there; move it away, or use another --run-dir`);
  }

  private async hasManifestFile(): Promise<boolean> {
    return lstat(this.manifestPath).then(() => true, () => false);
  }

  /** Writes a split's example table if it is absent, else checks that it holds the data's labels. */
  private async writeOrCheckExamples(split: 'train' | 'test', table: ExampleTable, rows: number): Promise<void> {
    const columns: Columns = { index: Int32Array.from(table.label, (_, i) => i), label: table.label };
    if (table.subpopulation) columns['subpopulation'] = table.subpopulation;
    if (table.coarseLabel) columns['coarse_label'] = table.coarseLabel;
    const path = this.path(EXAMPLE_FILES[split]);
    const present = await lstat(path).then(() => true, () => false); // a read-only run with nothing to do writes nothing
    if (!present && (await writeFileAtomicIfAbsent(path, encodeColumns(columns, { 'memorize.format': 'examples/1' })))) return;
    const stored = await this.readExamplesFile(path, rows, 'move it aside: `memorize train` writes it again from the data');
    if (stored.label.some((y, i) => y !== table.label[i])) throw new UsageError(`${path} holds other labels than the data; move it aside: \`memorize train\` writes it again from the data`);
  }

  private async readExamplesFile(path: string, rows: number, remedy: string): Promise<ExampleTable> {
    const { columns, optional } = await readColumns(path, ['label'], remedy, ['subpopulation']);
    const table: ExampleTable = { label: columns.label as Int32Array };
    if (optional['subpopulation']) table.subpopulation = optional['subpopulation'] as Int32Array;
    if (table.label.length !== rows) throw new UsageError(`${path} has ${table.label.length} examples, the run has ${rows}; ${remedy}`);
    return table;
  }

  /** Labels and ground truth of one split, checked against the run's size and classes. */
  async readExamples(split: 'train' | 'test', manifest: RunManifest): Promise<ExampleTable> {
    const rows = split === 'train' ? manifest.dataset.n : manifest.dataset.nTest;
    const path = this.path(EXAMPLE_FILES[split]);
    const table = await this.readExamplesFile(path, rows, `\`memorize train --run-dir ${this.root}\` with the run's settings (run.json "config") writes it again from the data`);
    checkLabels(table.label, rows, manifest.dataset.numClasses, path);
    return table;
  }

  /** Finished trials by index. Temporaries of interrupted writes are skipped; anything else that is not
   * one plain file named trial-NNNNNN.arrow per index is refused, naming it (nothing is deleted). */
  async listTrials(): Promise<Map<number, string>> {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(this.trialsDir, { withFileTypes: true });
    } catch {
      throw new UsageError(`no trials directory in ${this.root}; run \`memorize train --run-dir ${this.root}\` first`);
    }
    const trials = new Map<number, string>();
    const moveOut = `move it out of ${this.trialsDir}`;
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = `${this.trialsDir}${sep}${entry.name}`; // trialsDir is normalized: join's normalizing cost 17 ms for 4000 files
      if (isTemporaryName(entry.name) && entry.isFile()) continue;
      const match = TRIAL_NAME.exec(entry.name);
      if (!match) throw new UsageError(`${path} is not a trial file (expected trial-NNNNNN.arrow); ${moveOut}`);
      if (entry.isSymbolicLink()) throw new UsageError(`${path} is a symbolic link; memorize keeps only its own plain files in trials/: ${moveOut}`);
      if (!entry.isFile()) throw new UsageError(`${path} is not a plain file; ${moveOut}`);
      const trial = Number(match[1]);
      if (entry.name !== trialFileName(trial)) {
        throw new UsageError(`${path} is not a trial file name memorize writes (trial ${trial} is ${trialFileName(trial)}); ${moveOut}`);
      }
      trials.set(trial, path);
    }
    return trials;
  }

  /** Writes a finished trial's file atomically: the one writer of trial files, for every trainer. It checks the
   * record against run.json and adds the data fingerprint and the checksum of the values. */
  async writeTrial(record: TrialRecord, metadata: TrialMetadata): Promise<void> {
    this.manifestInForce ??= await this.readManifest();
    const { dataset, m, configHash } = this.manifestInForce;
    const members = record.subset.reduce((sum, v) => sum + (v ? 1 : 0), 0);
    if (record.subset.length !== dataset.n || record.trainCorrect.length !== dataset.n || record.testCorrect.length !== dataset.nTest || members !== m) {
      throw new Error(`trial ${record.trial} does not fit the run (n ${record.subset.length}, n' ${record.testCorrect.length}, subset ${members}; the run has ${dataset.n}, ${dataset.nTest}, m = ${m})`);
    }
    if (metadata.configHash !== configHash) throw new Error(`trial ${record.trial} was made with config hash ${metadata.configHash.slice(0, 12)}, the run's is ${configHash.slice(0, 12)}`);
    const bytes = encodeTrial(record, { ...metadata, dataFingerprint: dataset.fingerprint });
    await writeFileAtomic(join(this.trialsDir, trialFileName(record.trial)), bytes, `${formatBytes(bytes.length)}, the space one trial file of this run needs`);
  }

  /** Reads and validates one trial file against the run (sizes, subset size, data, config hash, index, checksum). */
  async readTrial(path: string, trial: number, manifest: RunManifest): Promise<StoredTrial> {
    const stored = decodeTrial(await onFileSystem(path, () => readFile(path)), path, runTrialSizes(manifest));
    checkTrialOfRun(stored, path, trial, manifest, this.trialsDir);
    return stored;
  }

  /** Removes the leftovers of interrupted writes in the run's directories (see removeStaleTemporaries). */
  async removeStaleTemporaries(): Promise<{ files: number; bytes: number }> {
    const total = { files: 0, bytes: 0 };
    for (const dir of [this.root, this.trialsDir, this.estimatesDir, this.cacheDir, this.claimsDir]) {
      const removed = await removeStaleTemporaries(dir);
      total.files += removed.files;
      total.bytes += removed.bytes;
    }
    return total;
  }
}
