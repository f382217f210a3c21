// `memorize pairs`: select the high-influence pairs from a run's estimates, with the paper's counts.
import { UsageError, usageCheck } from '../errors.js';
import { availableParallelism } from 'node:os';
import { estimateAll, type InfluenceTable } from '../estimate/estimator.js';
import { pairPrecision } from '../estimate/ground-truth.js';
import { countUndefinedPairs, selectPairs, summarizePairs, type MemorizationCounts, type PairSummary, type Thresholds } from '../estimate/pairs.js';
import { splitHalves, type TrialFilter } from '../estimate/trial-selection.js';
import { createLogger } from '../log.js';
import { readTrialMatrix } from './estimate.js';
import { readEstimates, writePairs } from '../store/estimates-files.js';
import { RunDirectory, type RunManifest } from '../store/run-dir.js';

export interface PairsOptions extends Thresholds {
  runDir: string;
}

/** One selected pair, for display. */
export interface Pair {
  trainIndex: number;
  testIndex: number;
  label: number;
  mem: number;
  infl: number;
  se: number;
  low: number; // 95% interval of infl
  high: number;
}

/** How reproducible the selection is: J_infl of the pairs selected from even against odd trials. */
export interface SplitHalf {
  jaccard: number; // NaN when neither half selects a pair
  trials: [number, number]; // trials in each half
}

/** Below this split-half Jaccard the selection is mostly noise (the paper chose theta_infl for >= 0.7). */
export const SPLIT_HALF_MINIMUM = 0.7;

export interface PairsResult {
  summary: PairSummary & Thresholds & {
    trials: number; // those the estimates used, of finishedTrials in trials/
    finishedTrials: number;
    precision?: number;
    undefinedPairs: number; // pairs past both thresholds with a NaN standard error: left out
    splitHalf: SplitHalf | null; // null when either half has fewer than 2 trials
  };
  top: Pair[]; // the selected pairs with the highest influence
}

const TOP_PAIRS = 10;

/** The split-half Jaccard of the selection over the trials the estimates used (the run's matrices read once). */
async function splitHalf(runDir: RunDirectory, manifest: RunManifest, used: TrialFilter, thresholds: Thresholds): Promise<SplitHalf | null> {
  const finished = [...(await runDir.listTrials()).keys()];
  const [even, odd] = splitHalves(used);
  if (finished.filter(even).length < 2 || finished.filter(odd).length < 2) return null; // an estimate needs 2 trials
  const labels = (await runDir.readExamples('train', manifest)).label;
  const testLabels = (await runDir.readExamples('test', manifest)).label;
  const { select, saved } = await readTrialMatrix(runDir, manifest, used, 'the trials of the estimates');
  // Only pairs at theta_infl and up can be selected: each half keeps those alone (no intervals for the rest),
  // so the two tables differ and the selections are matched by (i, j), not by row.
  const half = async (keep: TrialFilter): Promise<{ trials: number; selected: Set<number> }> => {
    const matrix = select(keep);
    const { memo, influence } = await estimateAll(matrix, labels, testLabels, manifest.dataset.numClasses, { floor: thresholds.thetaInfl, threads: availableParallelism() });
    return { trials: matrix.trials, selected: new Set(Array.from(selectPairs(memo, influence, thresholds), (r) => influence.trainIndex[r]! * manifest.dataset.nTest + influence.testIndex[r]!)) };
  };
  const [a, b] = [await half(even), await half(odd)];
  await saved;
  const both = [...a.selected].filter((key) => b.selected.has(key)).length;
  const union = a.selected.size + b.selected.size - both;
  return { jaccard: union > 0 ? both / union : NaN, trials: [a.trials, b.trials] };
}

/** mem and infl are differences of two probabilities, so a threshold outside [-1, 1] selects all or nothing. */
function checkThreshold(flag: string, value: number): void {
  usageCheck(Number.isFinite(value) && value >= -1 && value <= 1, `${flag} must be a number in [-1, 1] (mem and infl are differences of two probabilities), got ${value}`);
}

export async function pairs(options: PairsOptions): Promise<PairsResult> {
  checkThreshold('--theta-mem', options.thetaMem);
  checkThreshold('--theta-infl', options.thetaInfl);
  const runDir = new RunDirectory(options.runDir);
  const manifest = await runDir.readManifest();
  const log = createLogger(runDir.logsDir, 'pairs');
  const finished = await runDir.listTrials();
  const estimates = await readEstimates(runDir, manifest, finished);
  const floor = estimates.influenceFloor;
  if (floor !== null && options.thetaInfl < floor) {
    throw new UsageError(`--theta-infl ${options.thetaInfl} is below ${floor}, the floor under which influence.arrow kept no pairs; use --theta-infl >= ${floor}`);
  }
  const { mem } = estimates;
  const c = estimates.influence;
  const m = estimates.memorization;
  const memo: MemorizationCounts = { se: m.se as Float64Array, nIn: m.n_in as Int32Array, nOut: m.n_out as Int32Array, correctIn: m.correct_in as Int32Array, correctOut: m.correct_out as Int32Array };
  const influence: InfluenceTable = { trainIndex: c.train_index as Int32Array, testIndex: c.test_index as Int32Array, infl: c.infl as Float32Array, se: c.se as Float32Array, low: c.ci_low as Float32Array, high: c.ci_high as Float32Array, correctIn: c.correct_in as Int32Array, correctOut: c.correct_out as Int32Array };
  const rows = selectPairs(memo, influence, options);
  const pick = <T extends Int32Array | Float32Array | Float64Array>(column: T, make: (n: number) => T): T => {
    const out = make(rows.length);
    rows.forEach((r, k) => (out[k] = column[r]!));
    return out;
  };
  const selected = {
    train_index: pick(influence.trainIndex, (k) => new Int32Array(k)),
    test_index: pick(influence.testIndex, (k) => new Int32Array(k)),
    label: pick(c.label as Int32Array, (k) => new Int32Array(k)),
    mem: Float64Array.from(rows, (r) => mem[influence.trainIndex[r]!]!),
    infl: pick(influence.infl, (k) => new Float32Array(k)),
    se: pick(influence.se, (k) => new Float32Array(k)),
    ci_low: pick(influence.low, (k) => new Float32Array(k)),
    ci_high: pick(influence.high, (k) => new Float32Array(k)),
  };
  const used = new Set(estimates.trials);
  const summary: PairsResult['summary'] = {
    thetaMem: options.thetaMem,
    thetaInfl: options.thetaInfl,
    trials: estimates.trials.length,
    finishedTrials: finished.size,
    ...summarizePairs(influence, rows),
    undefinedPairs: countUndefinedPairs(memo, influence, options),
    splitHalf: await splitHalf(runDir, manifest, (k) => used.has(k), options),
  };
  const train = await runDir.readExamples('train', manifest);
  const test = await runDir.readExamples('test', manifest);
  if (train.subpopulation && test.subpopulation) summary.precision = pairPrecision(influence, rows, train.subpopulation, test.subpopulation);
  await writePairs(runDir, manifest, estimates.generation, selected, summary);
  log.info(summary, 'pairs done');
  const order = Array.from(rows.keys()).sort((a, b) => selected.infl[b]! - selected.infl[a]!);
  const top = order.slice(0, TOP_PAIRS).map((k) => ({
    trainIndex: selected.train_index[k]!,
    testIndex: selected.test_index[k]!,
    label: selected.label[k]!,
    mem: selected.mem[k]!,
    infl: selected.infl[k]!,
    se: selected.se[k]!,
    low: selected.ci_low[k]!,
    high: selected.ci_high[k]!,
  }));
  return { summary, top };
}
