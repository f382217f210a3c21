// `memorize report`: everything a run directory holds, as one self-contained HTML page with the paper's
// figures and the data set's own examples as images: R/report/index.html. Reads the run's files and its data
// set (checked against the fingerprint); loads no TensorFlow.js.
import { mkdir, readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { resolveConfig } from '../config/schema.js';
import { classNames } from '../data/class-names.js';
import { DATASETS, loadDataset, type DataOptions } from '../data/registry.js';
import { UsageError } from '../errors.js';
import { countUndefined, estimateAll, selectMemorized, type TrialMatrix } from '../estimate/estimator.js';
import { memorizationBySubpopulationSize } from '../estimate/ground-truth.js';
import { selectPairs, type Thresholds } from '../estimate/pairs.js';
import type { TrialFilter } from '../estimate/trial-selection.js';
import { paletteOf } from '../report/images.js';
import { renderReport, type ReportData } from '../report/sections.js';
import { writeFileAtomic } from '../store/atomic.js';
import { readEstimates } from '../store/estimates-files.js';
import { RunDirectory, type RunManifest } from '../store/run-dir.js';
import { readColumns } from '../store/tables.js';
import type { TrialInfo } from '../store/trial-matrix-cache.js';
import type { AblateResult } from './ablate.js';
import type { CompareResult } from './compare.js';
import { readTrialMatrix } from './estimate.js';
import type { LooResult } from './loo.js';
import type { PairsResult } from './pairs.js';

export interface ReportOptions {
  runDir: string;
  data?: DataOptions;
}

export interface ReportResult {
  path: string;
  bytes: number;
  seconds: number;
  missing: string[]; // the pieces the run directory lacks, each with the command that makes it
}

/** The estimates of the run, both files from one `memorize estimate`: the one check of a mismatched set
 * (another config, or memorization and influence from different trials), refused in one line. */
async function readEstimateSet(runDir: RunDirectory, manifest: RunManifest): Promise<ReportData['estimates'] & { trialList: number[] }> {
  // The same check as pairs: both files of one estimate generation, of this run, over trials still there.
  const stored = await readEstimates(runDir, manifest, await runDir.listTrials());
  const m = stored.memorization;
  const i = stored.influence;
  return {
    labels: m.label as Int32Array,
    mem: m.mem as Float64Array,
    se: m.se as Float64Array,
    undefinedEstimates: countUndefined({ nIn: m.n_in as Int32Array, nOut: m.n_out as Int32Array }),
    trials: stored.trials.length,
    trialRange: stored.trialRange,
    trialList: stored.trials,
    influence: { trainIndex: i.train_index as Int32Array, testIndex: i.test_index as Int32Array, infl: i.infl as Float32Array, se: i.se as Float32Array },
  };
}

/** A JSON file an analysis command wrote, or null when it is not there. */
async function readJson<T>(path: string): Promise<T | null> {
  const text = await readFile(path, 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new UsageError(`${path} is not valid JSON; rerun the command that wrote it, or move the file aside`);
  }
}

async function readPairs(runDir: RunDirectory, manifest: RunManifest): Promise<ReportData['pairs']> {
  const summary = await readJson<PairsResult['summary']>(runDir.path('pairs.json'));
  if (summary === null) return null;
  const path = runDir.path('pairs.arrow');
  const { columns, metadata } = await readColumns(path, ['train_index', 'test_index', 'mem', 'infl', 'se'], `rerun \`memorize pairs --run-dir ${runDir.root}\``);
  if (metadata.get('memorize.config_hash') !== manifest.configHash) throw new UsageError(`${path} was selected for another config; rerun \`memorize estimate\` and \`memorize pairs\` on ${runDir.root}`);
  return { summary, trainIndex: columns.train_index as Int32Array, testIndex: columns.test_index as Int32Array, infl: columns.infl as Float32Array };
}

/** Trial counts at which to recount: t/8, t/4, t/2 and t (those of at least 2 trials). */
export function countingPoints(t: number): number[] {
  return [...new Set([Math.floor(t / 8), Math.floor(t / 4), Math.floor(t / 2), t])].filter((k) => k >= 2);
}

/** Examples with mem >= theta_mem and selected pairs, from the first t' of `trials` (ascending), for each
 * counting point; `select` masks those trials in the run's matrices. */
async function countsAgainstTrials(trials: readonly TrialInfo[], select: (keep: TrialFilter) => TrialMatrix, labels: Int32Array, testLabels: Int32Array, numClasses: number, thresholds: Thresholds): Promise<ReportData['countsByTrials']> {
  const counts: ReportData['countsByTrials'] = [];
  for (const t of countingPoints(trials.length)) {
    const first = new Set(trials.slice(0, t).map((info) => info.trial));
    const { memo, influence } = await estimateAll(select((k) => first.has(k)), labels, testLabels, numClasses, { floor: thresholds.thetaInfl, threads: availableParallelism() });
    counts.push({ trials: t, memorized: selectMemorized(memo, thresholds.thetaMem).reduce((a, b) => a + b, 0), pairs: selectPairs(memo, influence, thresholds).length });
  }
  return counts;
}

export async function report(options: ReportOptions): Promise<ReportResult> {
  const started = performance.now();
  const runDir = new RunDirectory(options.runDir);
  const manifest = await runDir.readManifest();
  if (!Object.hasOwn(DATASETS, manifest.config.dataset)) throw new UsageError(`the report shows the examples of the data set, and ${runDir.root} was made on "${manifest.config.dataset}", which memorize does not read (an import with .npy labels); import it with --dataset <name> --file-order to get a report`);
  const estimates = await readEstimateSet(runDir, manifest);
  const dataset = await loadDataset(resolveConfig(manifest.config), options.data ?? {});
  if (dataset.fingerprint !== manifest.dataset.fingerprint) {
    throw new UsageError(`the ${dataset.name} data found now (fingerprint ${dataset.fingerprint.slice(0, 12)}) are not those of ${runDir.root} (${manifest.dataset.fingerprint.slice(0, 12)}), so its examples cannot be shown; give the --data-dir the run was made with`);
  }
  const pairs = await readPairs(runDir, manifest);
  const thresholds: Thresholds = pairs ? { thetaMem: pairs.summary.thetaMem, thetaInfl: pairs.summary.thetaInfl } : { thetaMem: 0.25, thetaInfl: 0.15 };

  const finished = (await runDir.listTrials()).size;
  const trials: ReportData['trials'] = { finished, requested: manifest.trials, testAccuracy: [], seconds: [], backends: new Set() };
  const used = new Set(estimates.trialList);
  const read = await readTrialMatrix(runDir, manifest, (k) => used.has(k), 'the estimates\' trials');
  for (const info of read.trials) {
    trials.testAccuracy.push(info.testAccuracy);
    trials.seconds.push(info.seconds);
    trials.backends.add(info.backend);
  }
  const train = await runDir.readExamples('train', manifest);
  const test = await runDir.readExamples('test', manifest);

  await read.saved;
  const data: ReportData = {
    runDir: runDir.root,
    manifest,
    classNames: classNames(manifest.dataset.name, manifest.dataset.numClasses),
    images: {
      train: { images: dataset.train.images, shape: dataset.imageShape, palette: paletteOf(dataset.name) },
      test: { images: dataset.test.images, shape: dataset.imageShape, palette: paletteOf(dataset.name) },
    },
    testLabels: test.label,
    trials,
    estimates,
    pairs,
    thresholds,
    countsByTrials: await countsAgainstTrials(read.trials, read.select, train.label, test.label, manifest.dataset.numClasses, thresholds),
    compare: await readJson<CompareResult>(runDir.path('compare.json')),
    ablate: await readJson<AblateResult>(runDir.path('ablate.json')),
    ablatePairs: await readJson<AblateResult>(runDir.path('ablate-pairs.json')),
    loo: await readJson<LooResult>(runDir.path('loo.json')),
    groundTruth: train.subpopulation ? { bySize: memorizationBySubpopulationSize(estimates.mem, train.subpopulation), ...(pairs?.summary.precision !== undefined && { precision: pairs.summary.precision }) } : null,
  };
  const { html, missing } = await renderReport(data);
  const path = runDir.path('report', 'index.html');
  await mkdir(runDir.path('report'), { recursive: true });
  await writeFileAtomic(path, html);
  return { path, bytes: Buffer.byteLength(html), seconds: (performance.now() - started) / 1000, missing };
}
