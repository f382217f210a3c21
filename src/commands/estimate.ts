// `memorize estimate`: Algorithm 1 over every finished trial of a run, into estimates/*.arrow (one generation).
import { UsageError } from '../errors.js';
import { countSameClassPairs, countUndefined, estimateInfluence, estimateMemorization, selectDefined, type InfluenceTable, type Memorization, type TrialMatrix, type UndefinedEstimates } from '../estimate/estimator.js';
import { memorizationBySubpopulationSize, type FrequencyBucket } from '../estimate/ground-truth.js';
import type { RunEstimates } from '../estimate/run-consistency.js';
import { TrialBits } from '../estimate/trial-bits.js';
import { formatTrialRange, inRange, type TrialFilter, type TrialRange } from '../estimate/trial-selection.js';
import { createLogger } from '../log.js';
import { writeEstimates } from '../store/estimates-files.js';
import { RunDirectory, type ExampleTable, type RunManifest } from '../store/run-dir.js';
import type { StoredTrial } from '../store/trial-file.js';

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

/** Reads the trial files (those `keep` accepts; every one without it) into example-major bit matrices,
 * in ascending trial order; `onTrial` sees each trial as read (the report's accuracies and times). */
export async function readTrialMatrix(runDir: RunDirectory, manifest: RunManifest, keep: TrialFilter = () => true, which = 'the run', onTrial?: (stored: StoredTrial) => void): Promise<{ matrix: TrialMatrix; trials: number[]; meanTestAccuracy: number }> {
  const all = await runDir.listTrials();
  if (all.size === 0) throw new UsageError(`no finished trials in ${runDir.trialsDir}; run \`memorize train --run-dir ${runDir.root}\` first`);
  const files = new Map([...all].filter(([k]) => keep(k)));
  if (files.size === 0) throw new UsageError(`no finished trial of ${runDir.root} is in ${which} (finished trials: ${Math.min(...all.keys())} to ${Math.max(...all.keys())}); choose trials the run has`);
  if (files.size === 1) {
    throw new UsageError(`${which === 'the run' ? runDir.trialsDir : which} holds 1 finished trial, and estimates need at least 2: with one, every example is in or out of its only subset, so each difference compares one trial with the 1/2 of an empty side (supplement A); run more with \`memorize train --run-dir ${runDir.root} --trials T\``);
  }
  const t = files.size;
  const matrix: TrialMatrix = {
    trials: t,
    subset: new TrialBits(manifest.dataset.n, t),
    trainCorrect: new TrialBits(manifest.dataset.n, t),
    testCorrect: new TrialBits(manifest.dataset.nTest, t),
  };
  let slot = 0;
  let accuracy = 0;
  for (const [trial, path] of files) {
    const stored = await runDir.readTrial(path, trial, manifest);
    matrix.subset.setTrial(slot, stored.subset);
    matrix.trainCorrect.setTrial(slot, stored.trainCorrect);
    matrix.testCorrect.setTrial(slot, stored.testCorrect);
    accuracy += stored.testAccuracy;
    onTrial?.(stored);
    slot++;
  }
  return { matrix, trials: [...files.keys()].sort((a, b) => a - b), meanTestAccuracy: accuracy / t };
}

function estimateTables(labels: Int32Array, testLabels: Int32Array, memo: Memorization, influence: InfluenceTable) {
  return {
    memorization: { index: Int32Array.from(labels, (_, i) => i), label: labels, mem: memo.mem, se: memo.se, ci_low: memo.low, ci_high: memo.high, n_in: memo.nIn, n_out: memo.nOut },
    influence: { train_index: influence.trainIndex, test_index: influence.testIndex, label: Int32Array.from(influence.testIndex, (j) => testLabels[j]!), infl: influence.infl, se: influence.se, ci_low: influence.low, ci_high: influence.high },
  };
}

/** Algorithm 1 over the trials `keep` accepts, in memory: what estimate writes and compare and pairs reuse. */
export async function estimateTrials(runDir: RunDirectory, manifest: RunManifest, keep: TrialFilter, which: string): Promise<RunEstimates & { trials: number; trialList: number[]; meanTestAccuracy: number; floor: number | null; train: ExampleTable; test: ExampleTable }> {
  const train = await runDir.readExamples('train', manifest);
  const test = await runDir.readExamples('test', manifest);
  const { matrix, trials: trialList, meanTestAccuracy } = await readTrialMatrix(runDir, manifest, keep, which);
  const { numClasses } = manifest.dataset;
  const memo = estimateMemorization(matrix);
  const fullPairs = countSameClassPairs(train.label, test.label, numClasses);
  const floor = fullPairs > MAX_FULL_INFLUENCE_PAIRS ? INFLUENCE_FLOOR : null;
  const influence = estimateInfluence(matrix, train.label, test.label, numClasses, { floor: floor ?? -Infinity });
  return { memo, influence, trials: matrix.trials, trialList, meanTestAccuracy, floor, train, test };
}

export async function estimate(options: EstimateOptions): Promise<EstimateSummary> {
  const runDir = new RunDirectory(options.runDir);
  const manifest = await runDir.readManifest();
  const log = createLogger(runDir.logsDir, 'estimate');
  const removedTemporaries = await runDir.removeStaleTemporaries();
  const range = formatTrialRange(options.trials);
  const { memo, influence, trials, trialList, meanTestAccuracy, floor, train, test } = await estimateTrials(runDir, manifest, inRange(options.trials), `--trials ${range}`);
  await writeEstimates(runDir, manifest, { ...estimateTables(train.label, test.label, memo, influence), trials: trialList, influenceFloor: floor, trialRange: range });
  const defined = selectDefined(memo.mem, memo.se, -Infinity);
  const summary: EstimateSummary = {
    trials,
    requestedTrials: manifest.trials,
    n: manifest.dataset.n,
    nTest: manifest.dataset.nTest,
    meanMem: memo.mem.reduce((sum, v, i) => sum + (defined[i] ? v : 0), 0) / defined.reduce((a, b) => a + b, 0),
    memorizedAtQuarter: selectDefined(memo.mem, memo.se, 0.25).reduce((a, b) => a + b, 0),
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
