// `memorize import`: trials trained elsewhere into a run directory that estimate and pairs accept: the
// authors' heldout layout (a directory of runs, each with aux_arrays.npz) or plain .npy masks [t, n].
// Everything is read and checked before the first file is written.
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { hashConfig, resolveConfig } from '../config/schema.js';
import { loadDataset } from '../data/registry.js';
import { UsageError } from '../errors.js';
import { checkShape, readNpyFile, readNpzFile, toInt32, toMask, type NpyArray } from '../store/npy.js';
import { RUN_FORMAT, RunDirectory, type ExampleTable, type RunManifest } from '../store/run-dir.js';
import type { TrialRecord } from '../store/trial-file.js';
import { memorizeVersion } from '../version.js';

/** Where the example labels come from: a data set memorize reads (its file order), or two .npy files. */
export type LabelSource = { dataset: string; dataDir?: string; fileOrder: boolean } | { trainLabels: string; testLabels: string; numClasses?: number };

export interface ImportOptions {
  runDir: string;
  heldout?: string; // directory of the authors' runs (searched recursively for aux_arrays.npz)
  masks?: { subset: string; trainCorrect: string; testCorrect: string }; // .npy arrays [t, n], [t, n], [t, n']
  labels: LabelSource;
}

export interface ImportResult {
  runDir: string;
  trials: number;
  n: number;
  nTest: number;
  m: number;
}

/** One trial's masks, one 0/1 byte per example. */
type Masks = Pick<TrialRecord, 'subset' | 'trainCorrect' | 'testCorrect'>;

/** Trials read one at a time (twice: checked first, written after), so t x n masks are never all held. */
interface TrialSource {
  count: number;
  from: string;
  read(k: number): Promise<Masks>;
  runs?: string[]; // the authors' run folders, in trial order
}

interface Labels {
  name: string;
  fingerprint: string;
  numClasses: number;
  imageShape: [number, number, number];
  train: ExampleTable;
  test: ExampleTable;
}

async function readLabels(source: LabelSource): Promise<Labels> {
  if ('dataset' in source) {
    if (!source.fileOrder) {
      throw new UsageError(`--dataset ${source.dataset} takes the labels in the data set's file order; add --file-order if the runs index examples in that order, else give the runs' own labels as --train-labels and --test-labels .npy files (the authors' TFDS runs are not in file order)`);
    }
    const data = await loadDataset(resolveConfig({ dataset: source.dataset }), source.dataDir === undefined ? {} : { dataDir: source.dataDir });
    const table = (split: typeof data.train): ExampleTable => ({ label: split.labels, ...(split.subpopulations && { subpopulation: split.subpopulations }), ...(split.coarseLabels && { coarseLabel: split.coarseLabels }) });
    return { name: data.name, fingerprint: data.fingerprint, numClasses: data.numClasses, imageShape: data.imageShape, train: table(data.train), test: table(data.test) };
  }
  const read = async (path: string, flag: string): Promise<{ labels: Int32Array; bytes: Buffer }> => {
    const array = await readNpyFile(path);
    if (array.shape.length !== 1) throw new UsageError(`${flag} ${path} has shape (${array.shape.join(', ')}), expected one label per example`);
    return { labels: toInt32(array, path), bytes: await readFile(path) };
  };
  const train = await read(source.trainLabels, '--train-labels');
  const test = await read(source.testLabels, '--test-labels');
  const all = [...train.labels, ...test.labels];
  const numClasses = source.numClasses ?? Math.max(...all) + 1;
  const bad = all.find((y) => y < 0 || y >= numClasses);
  if (bad !== undefined) throw new UsageError(`label ${bad} is outside the classes [0, ${numClasses}); labels are 0 .. --num-classes - 1`);
  const fingerprint = createHash('sha256').update(train.bytes).update(test.bytes).digest('hex');
  return { name: 'imported', fingerprint, numClasses, imageShape: [0, 0, 0], train: { label: train.labels }, test: { label: test.labels } };
}

/** Sets mask[index[p]] = values[p]; `index` must be a permutation of [0, length) (or, with `subsetOf`, distinct). */
function scatter(index: Int32Array, values: Uint8Array, target: Uint8Array, seen: Uint8Array, name: string): void {
  for (let p = 0; p < index.length; p++) {
    const i = index[p]!;
    if (i < 0 || i >= target.length) throw new UsageError(`${name} holds ${i} at position ${p}, outside [0, ${target.length})`);
    if (seen[i]) throw new UsageError(`${name} holds example ${i} twice`);
    seen[i] = 1;
    target[i] = values[p]!;
  }
}

/** One aux_arrays.npz: correctness_{train,removed,test} with index_{train,removed,test}, and subsample_idx. */
async function readHeldoutRun(path: string): Promise<Masks> {
  const arrays = await readNpzFile(path);
  const get = (key: string): NpyArray => {
    const array = arrays.get(key);
    if (!array) throw new UsageError(`${path} has no array "${key}"; expected the heldout layout (correctness_train, correctness_removed, correctness_test, index_train, index_removed, index_test, subsample_idx)`);
    if (array.shape.length !== 1) throw new UsageError(`${path}: "${key}" has shape (${array.shape.join(', ')}), expected one dimension`);
    return array;
  };
  const split = (name: 'train' | 'removed' | 'test'): { index: Int32Array; correct: Uint8Array } => {
    const correct = get(`correctness_${name}`);
    const index = get(`index_${name}`);
    checkShape(correct, index.shape, `${path}: correctness_${name}`);
    return { index: toInt32(index, `${path}: index_${name}`), correct: toMask(correct, `${path}: correctness_${name}`) };
  };
  const train = split('train');
  const removed = split('removed');
  const test = split('test');
  const n = train.index.length + removed.index.length;
  const trainCorrect = new Uint8Array(n);
  const seen = new Uint8Array(n);
  scatter(train.index, train.correct, trainCorrect, seen, `${path}: index_train`);
  scatter(removed.index, removed.correct, trainCorrect, seen, `${path}: index_removed`);
  const testCorrect = new Uint8Array(test.index.length);
  scatter(test.index, test.correct, testCorrect, new Uint8Array(test.index.length), `${path}: index_test`);
  const subsample = toInt32(get('subsample_idx'), `${path}: subsample_idx`);
  const subset = new Uint8Array(n);
  scatter(subsample, new Uint8Array(subsample.length).fill(1), subset, new Uint8Array(n), `${path}: subsample_idx`);
  const trained = new Uint8Array(n);
  train.index.forEach((i) => (trained[i] = 1));
  const differing = subset.findIndex((v, i) => v !== trained[i]);
  if (differing >= 0) throw new UsageError(`${path}: subsample_idx and index_train differ at example ${differing}; index_train must list the examples the run trained on`);
  return { subset, trainCorrect, testCorrect };
}

async function findHeldoutRuns(root: string): Promise<TrialSource> {
  let names: string[];
  try {
    names = await readdir(root, { recursive: true });
  } catch {
    throw new UsageError(`cannot read --heldout ${root}; give the directory of runs, each holding aux_arrays.npz`);
  }
  const files = names.filter((name) => basename(name) === 'aux_arrays.npz').sort().map((name) => join(root, name));
  if (files.length === 0) throw new UsageError(`no aux_arrays.npz under ${root}; give the directory of runs (e.g. <experiment>/0.7) whose folders each hold aux_arrays.npz`);
  return { count: files.length, from: root, read: (k) => readHeldoutRun(files[k]!), runs: files.map((f) => relative(root, f)) };
}

async function readMaskArrays(masks: NonNullable<ImportOptions['masks']>): Promise<TrialSource> {
  const read = async (path: string, flag: string): Promise<{ shape: number[]; bits: Uint8Array }> => {
    const array = await readNpyFile(path);
    if (array.shape.length !== 2) throw new UsageError(`${flag} ${path} has shape (${array.shape.join(', ')}), expected (trials, examples)`);
    return { shape: array.shape, bits: toMask(array, path) };
  };
  const subset = await read(masks.subset, '--subset');
  const train = await read(masks.trainCorrect, '--train-correct');
  const test = await read(masks.testCorrect, '--test-correct');
  const [t, n] = subset.shape as [number, number];
  if (train.shape[0] !== t || train.shape[1] !== n) throw new UsageError(`--train-correct has shape (${train.shape.join(', ')}), --subset (${t}, ${n}); they must be the same`);
  if (test.shape[0] !== t) throw new UsageError(`--test-correct has ${test.shape[0]} trials, --subset ${t}; one row per trial in both`);
  const nTest = test.shape[1]!;
  const row = (bits: Uint8Array, width: number, k: number): Uint8Array => bits.slice(k * width, (k + 1) * width);
  return { count: t, from: masks.subset, read: (k) => Promise.resolve({ subset: row(subset.bits, n, k), trainCorrect: row(train.bits, n, k), testCorrect: row(test.bits, nTest, k) }) };
}

const accuracy = (correct: Uint8Array): number => correct.reduce((a, b) => a + b, 0) / correct.length;

export async function importRun(options: ImportOptions): Promise<ImportResult> {
  if ((options.heldout === undefined) === (options.masks === undefined)) throw new UsageError('give either --heldout <dir> or --subset, --train-correct and --test-correct (.npy masks)');
  const runDir = new RunDirectory(options.runDir);
  if (await stat(runDir.manifestPath).then(() => true, () => false)) throw new UsageError(`${runDir.root} already holds a run (run.json); import into a new --run-dir`);
  const labels = await readLabels(options.labels);
  const source = options.heldout !== undefined ? await findHeldoutRuns(options.heldout) : await readMaskArrays(options.masks!);
  const n = labels.train.label.length;
  const nTest = labels.test.label.length;
  let m: number | undefined;
  for (let k = 0; k < source.count; k++) {
    const where = source.runs?.[k] ?? `trial ${k} of ${source.from}`;
    const trial = await source.read(k);
    if (trial.subset.length !== n || trial.testCorrect.length !== nTest) {
      throw new UsageError(`${where} covers ${trial.subset.length} train and ${trial.testCorrect.length} test examples, the labels ${n} and ${nTest}; use the labels of the data the runs were evaluated on`);
    }
    const size = trial.subset.reduce((a, b) => a + b, 0);
    m ??= size;
    if (size !== m) throw new UsageError(`${where} trained on ${size} examples, the first run on ${m}; Algorithm 1 needs one subset size: import one subset ratio's runs at a time`);
  }
  const config = resolveConfig({ dataset: labels.name, model: 'imported', trials: source.count, subsetRatio: m! / n });
  const configHash = hashConfig(config);
  const manifest: RunManifest = {
    format: RUN_FORMAT,
    config,
    configHash,
    dataset: { name: labels.name, fingerprint: labels.fingerprint, n, nTest, numClasses: labels.numClasses, imageShape: labels.imageShape },
    m: m!,
    trials: source.count,
    seed: config.seed,
    versions: { memorize: memorizeVersion(), node: process.version },
    createdAt: new Date().toISOString(),
    imported: { from: source.from, ...(source.runs && { runs: source.runs }) },
  };
  await runDir.createOrCheck(manifest, labels.train, labels.test);
  const metadata = { configHash, dataset: labels.name, backend: 'imported' };
  for (let k = 0; k < source.count; k++) {
    const trial = await source.read(k);
    await runDir.writeTrial({ trial: k, seed: 0, ...trial, trainAccuracy: accuracy(trial.trainCorrect), testAccuracy: accuracy(trial.testCorrect), seconds: 0 }, metadata);
  }
  return { runDir: runDir.root, trials: source.count, n, nTest, m: m! };
}
