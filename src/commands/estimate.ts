// `memorize estimate`: Algorithm 1 over every finished trial of a run, into estimates/*.arrow (one generation).
import { availableParallelism } from 'node:os';
import { UsageError } from '../errors.js';
import { countSameClassPairs, countUndefined, estimateAll, selectDefined, selectMemorized, type InfluenceTable, type Memorization, type TrialMatrix, type UndefinedEstimates } from '../estimate/estimator.js';
import { memorizationBySubpopulationSize, type FrequencyBucket } from '../estimate/ground-truth.js';
import type { RunEstimates } from '../estimate/run-consistency.js';
import { formatTrialRange, inRange, type TrialFilter, type TrialRange } from '../estimate/trial-selection.js';
import { createLogger } from '../log.js';
import { writeEstimates } from '../store/estimates-files.js';
import { RunDirectory, type ExampleTable, type RunManifest } from '../store/run-dir.js';
import { loadTrialSlots, type TrialInfo, type TrialSlots } from '../store/trial-matrix-cache.js';

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
  removedTemporaries: { files: number; bytes: number }; // leftovers of interrupted writes, removed
}

/** The trials of the run's slots that `keep` accepts, as a mask over the slots (no copy of the bits). */
function selectSlots(slots: TrialSlots, keep: TrialFilter): TrialMatrix {
  const mask = new Uint32Array(slots.subset.stride);
  let t = 0;
  slots.trials.forEach((info, slot) => {
    if (!keep(info.trial)) return;
    mask[slot >>> 5] = (mask[slot >>> 5]! | (1 << (slot & 31))) >>> 0;
    t++;
  });
  const { subset, trainCorrect, testCorrect } = slots;
  return { trials: t, subset, trainCorrect, testCorrect, ...(t < slots.trials.length && { mask }) };
}

/** The finished trials `keep` accepts (every one without it) as example-major bit matrices, from the run's
 * matrix cache (src/store/trial-matrix-cache.ts), which reads only trial files it does not hold yet. `trials`
 * lists them in ascending order; `select` masks a subset of them (the report's first t' trials). */
export async function readTrialMatrix(runDir: RunDirectory, manifest: RunManifest, keep: TrialFilter = () => true, which = 'the run'): Promise<{ matrix: TrialMatrix; trials: TrialInfo[]; meanTestAccuracy: number; filesRead: number; select: (keep: TrialFilter) => TrialMatrix }> {
  const all = await runDir.listTrials();
  if (all.size === 0) throw new UsageError(`no finished trials in ${runDir.trialsDir}; run \`memorize train --run-dir ${runDir.root}\` first`);
  const kept = [...all.keys()].filter(keep);
  if (kept.length === 0) throw new UsageError(`no finished trial of ${runDir.root} is in ${which} (finished trials: ${Math.min(...all.keys())} to ${Math.max(...all.keys())}); choose trials the run has`);
  if (kept.length === 1) {
    throw new UsageError(`${which === 'the run' ? runDir.trialsDir : which} holds 1 finished trial, and estimates need at least 2: with one, every example is in or out of its only subset, so each difference compares one trial with the 1/2 of an empty side (supplement A); run more with \`memorize train --run-dir ${runDir.root} --trials T\``);
  }
  const slots = await loadTrialSlots(runDir, manifest, all);
  const trials = slots.trials.filter((info) => keep(info.trial)).sort((a, b) => a.trial - b.trial);
  const select = (also: TrialFilter): TrialMatrix => selectSlots(slots, (k) => keep(k) && also(k));
  return { matrix: select(() => true), trials, meanTestAccuracy: trials.reduce((sum, info) => sum + info.testAccuracy, 0) / trials.length, filesRead: slots.filesRead, select };
}

function estimateTables(labels: Int32Array, testLabels: Int32Array, memo: Memorization, influence: InfluenceTable) {
  return {
    memorization: { index: Int32Array.from(labels, (_, i) => i), label: labels, mem: memo.mem, se: memo.se, ci_low: memo.low, ci_high: memo.high, n_in: memo.nIn, n_out: memo.nOut, correct_in: memo.correctIn, correct_out: memo.correctOut },
    influence: { train_index: influence.trainIndex, test_index: influence.testIndex, label: influence.testIndex.map((j) => testLabels[j]!), infl: influence.infl, se: influence.se, ci_low: influence.low, ci_high: influence.high, correct_in: influence.correctIn, correct_out: influence.correctOut },
  };
}

/** Algorithm 1 over the trials `keep` accepts, in memory: what estimate writes and compare and pairs reuse.
 * `floorOverride` replaces the 0.05 floor of large tables (pairs' split halves need only pairs at theta_infl and up). */
export async function estimateTrials(runDir: RunDirectory, manifest: RunManifest, keep: TrialFilter, which: string, floorOverride?: number): Promise<RunEstimates & { trials: number; trialList: number[]; meanTestAccuracy: number; floor: number | null; train: ExampleTable; test: ExampleTable; filesRead: number }> {
  const train = await runDir.readExamples('train', manifest);
  const test = await runDir.readExamples('test', manifest);
  const { matrix, trials, meanTestAccuracy, filesRead } = await readTrialMatrix(runDir, manifest, keep, which);
  const { numClasses } = manifest.dataset;
  const fullPairs = countSameClassPairs(train.label, test.label, numClasses);
  const floor = floorOverride ?? (fullPairs > MAX_FULL_INFLUENCE_PAIRS ? INFLUENCE_FLOOR : null);
  const { memo, influence } = await estimateAll(matrix, train.label, test.label, numClasses, { floor: floor ?? -Infinity, threads: availableParallelism() });
  return { memo, influence, trials: matrix.trials, trialList: trials.map((info) => info.trial), meanTestAccuracy, floor, train, test, filesRead };
}

export async function estimate(options: EstimateOptions): Promise<EstimateSummary> {
  const runDir = new RunDirectory(options.runDir);
  const manifest = await runDir.readManifest();
  const log = createLogger(runDir.logsDir, 'estimate');
  const removedTemporaries = await runDir.removeStaleTemporaries();
  const range = formatTrialRange(options.trials);
  const { memo, influence, trials, trialList, meanTestAccuracy, floor, train, test, filesRead } = await estimateTrials(runDir, manifest, inRange(options.trials), `--trials ${range}`);
  await writeEstimates(runDir, manifest, { ...estimateTables(train.label, test.label, memo, influence), trials: trialList, influenceFloor: floor, trialRange: range });
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
    removedTemporaries,
  };
  if (train.subpopulation) summary.bySubpopulationSize = memorizationBySubpopulationSize(memo.mem, train.subpopulation);
  log.info(summary, 'estimate done');
  return summary;
}
