// `memorize estimate`: Algorithm 1 over every finished trial of a run, into estimates/*.arrow.
import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { countSameClassPairs, countUndefined, estimateAll, selectDefined, selectMemorized, type InfluenceTable, type Memorization, type TrialMatrix, type UndefinedEstimates } from '../estimate/estimator.js';
import { memorizationBySubpopulationSize, type FrequencyBucket } from '../estimate/ground-truth.js';
import type { RunEstimates } from '../estimate/run-consistency.js';
import { formatTrialRange, inRange, type TrialFilter, type TrialRange } from '../estimate/trial-selection.js';
import { createLogger } from '../log.js';
import { RunDirectory, type ExampleTable, type RunManifest } from '../store/run-dir.js';
import { writeColumns } from '../store/tables.js';
import { loadTrialSlots } from '../store/trial-matrix-cache.js';

/** Above this many same-class pairs, influence.arrow keeps only pairs with infl >= INFLUENCE_FLOOR. */
export const MAX_FULL_INFLUENCE_PAIRS = 20_000_000;
export const INFLUENCE_FLOOR = 0.05;

export interface EstimateOptions {
  runDir: string;
  trials?: TrialRange; // use only these trials (default: every finished trial)
}

export interface EstimateSummary {
  trials: number; // trial files used (t)
  requestedTrials: number; // t in run.json
  trialFilesRead: number; // trial files read (the others came from the run's matrix cache)
  n: number;
  nTest: number;
  meanMem: number;
  memorizedAtQuarter: number; // examples with mem >= 0.25 and a defined estimate
  undefinedEstimates: UndefinedEstimates; // left out of every count and selection (NaN standard error)
  trialRange: string; // FIRST:LAST, or all
  influencePairs: number; // rows in influence.arrow
  influenceFloor: number | null; // null when every same-class pair is kept
  meanTestAccuracy: number;
  bySubpopulationSize?: FrequencyBucket[]; // where the data set knows its subpopulations
}

/** The finished trials `keep` accepts (every one without it) as example-major bit matrices, from the run's
 * matrix cache (src/store/trial-matrix-cache.ts), which reads only trial files it does not hold yet. */
export async function readTrialMatrix(runDir: RunDirectory, manifest: RunManifest, keep: TrialFilter = () => true, which = 'the run'): Promise<{ matrix: TrialMatrix; meanTestAccuracy: number; filesRead: number }> {
  const all = await runDir.listTrials();
  if (all.size === 0) throw new UsageError(`no finished trials in ${runDir.trialsDir}; run \`memorize train --run-dir ${runDir.root}\` first`);
  if (![...all.keys()].some(keep)) throw new UsageError(`no finished trial of ${runDir.root} is in ${which} (finished trials: ${Math.min(...all.keys())} to ${Math.max(...all.keys())}); choose trials the run has`);
  const slots = await loadTrialSlots(runDir, manifest, all);
  const mask = new Uint32Array(slots.subset.stride);
  let t = 0;
  let accuracy = 0;
  slots.trials.forEach((trial, slot) => {
    if (!keep(trial)) return;
    mask[slot >>> 5] = (mask[slot >>> 5]! | (1 << (slot & 31))) >>> 0;
    t++;
    accuracy += slots.testAccuracy[slot]!;
  });
  const { subset, trainCorrect, testCorrect } = slots;
  const matrix: TrialMatrix = { trials: t, subset, trainCorrect, testCorrect, ...(t < slots.trials.length && { mask }) };
  return { matrix, meanTestAccuracy: accuracy / t, filesRead: slots.filesRead };
}

async function writeEstimates(runDir: RunDirectory, labels: Int32Array, testLabels: Int32Array, memo: Memorization, influence: InfluenceTable, metadata: Record<string, string>): Promise<void> {
  await mkdir(runDir.estimatesDir, { recursive: true });
  await writeColumns(
    join(runDir.estimatesDir, 'memorization.arrow'),
    { index: Int32Array.from(labels, (_, i) => i), label: labels, mem: memo.mem, se: memo.se, ci_low: memo.low, ci_high: memo.high, n_in: memo.nIn, n_out: memo.nOut, correct_in: memo.correctIn, correct_out: memo.correctOut },
    metadata,
  );
  await writeColumns(
    join(runDir.estimatesDir, 'influence.arrow'),
    { train_index: influence.trainIndex, test_index: influence.testIndex, label: influence.testIndex.map((j) => testLabels[j]!), infl: influence.infl, se: influence.se, ci_low: influence.low, ci_high: influence.high, correct_in: influence.correctIn, correct_out: influence.correctOut },
    metadata,
  );
}

/** Algorithm 1 over the trials `keep` accepts, in memory: what estimate writes and compare and pairs reuse.
 * `floor` replaces the 0.05 floor of large tables (pairs' split halves need only pairs at theta_infl and up). */
export async function estimateTrials(runDir: RunDirectory, manifest: RunManifest, keep: TrialFilter, which: string, floorOverride?: number): Promise<RunEstimates & { trials: number; meanTestAccuracy: number; floor: number | null; train: ExampleTable; test: ExampleTable; filesRead: number }> {
  const train = await runDir.readExamples('train', manifest);
  const test = await runDir.readExamples('test', manifest);
  const { matrix, meanTestAccuracy, filesRead } = await readTrialMatrix(runDir, manifest, keep, which);
  const { numClasses } = manifest.dataset;
  const fullPairs = countSameClassPairs(train.label, test.label, numClasses);
  const floor = floorOverride ?? (fullPairs > MAX_FULL_INFLUENCE_PAIRS ? INFLUENCE_FLOOR : null);
  const { memo, influence } = await estimateAll(matrix, train.label, test.label, numClasses, { floor: floor ?? -Infinity, threads: availableParallelism() });
  return { memo, influence, trials: matrix.trials, meanTestAccuracy, floor, train, test, filesRead };
}

export async function estimate(options: EstimateOptions): Promise<EstimateSummary> {
  const runDir = new RunDirectory(options.runDir);
  const manifest = await runDir.readManifest();
  const log = createLogger(runDir.logsDir, 'estimate');
  const range = formatTrialRange(options.trials);
  const { memo, influence, trials, meanTestAccuracy, floor, train, test, filesRead } = await estimateTrials(runDir, manifest, inRange(options.trials), `--trials ${range}`);
  const metadata = { 'memorize.format': 'estimates/1', 'memorize.trials': String(trials), 'memorize.config_hash': manifest.configHash, 'memorize.influence_floor': floor === null ? 'none' : String(floor), 'memorize.trial_range': range };
  await writeEstimates(runDir, train.label, test.label, memo, influence, metadata);
  const defined = selectDefined(memo.mem, memo.se, -Infinity);
  const summary: EstimateSummary = {
    trials,
    requestedTrials: manifest.trials,
    trialFilesRead: filesRead,
    n: manifest.dataset.n,
    nTest: manifest.dataset.nTest,
    meanMem: memo.mem.reduce((sum, v, i) => sum + (defined[i] ? v : 0), 0) / defined.reduce((a, b) => a + b, 0),
    memorizedAtQuarter: selectMemorized(memo, 0.25).reduce((a, b) => a + b, 0),
    undefinedEstimates: countUndefined(memo),
    trialRange: range,
    influencePairs: influence.infl.length,
    influenceFloor: floor,
    meanTestAccuracy,
  };
  if (train.subpopulation) summary.bySubpopulationSize = memorizationBySubpopulationSize(memo.mem, train.subpopulation);
  log.info(summary, 'estimate done');
  return summary;
}
