// `memorize pairs`: select the high-influence pairs from a run's estimates, with the paper's counts.
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import type { InfluenceTable } from '../estimate/estimator.js';
import { pairPrecision } from '../estimate/ground-truth.js';
import { countUndefinedPairs, selectPairs, summarizePairs, type MemorizationCounts, type PairSummary, type Thresholds } from '../estimate/pairs.js';
import type { RunEstimates } from '../estimate/run-consistency.js';
import { inRange, parseTrialRange, splitHalves, type TrialFilter } from '../estimate/trial-selection.js';
import { createLogger } from '../log.js';
import { estimateTrials } from './estimate.js';
import { writeFileAtomic } from '../store/atomic.js';
import { RunDirectory, type RunManifest } from '../store/run-dir.js';
import { readColumns, writeColumns } from '../store/tables.js';

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
    trials: number;
    precision?: number;
    undefinedPairs: number; // pairs past both thresholds with a NaN standard error: left out
    splitHalf: SplitHalf | null; // null when the trials do not fill both halves
  };
  top: Pair[]; // the selected pairs with the highest influence
}

const TOP_PAIRS = 10;

/** The split-half Jaccard of the selection over the trials the estimates used. */
async function splitHalf(runDir: RunDirectory, manifest: RunManifest, used: TrialFilter, thresholds: Thresholds): Promise<SplitHalf | null> {
  const finished = [...(await runDir.listTrials()).keys()];
  const [even, odd] = splitHalves(used);
  if (!finished.some(even) || !finished.some(odd)) return null;
  // Only pairs at theta_infl and up can be selected: each half keeps those alone (no intervals for the rest),
  // so the two tables differ and the selections are matched by (i, j), not by row.
  const a = await estimateTrials(runDir, manifest, even, 'the even trials', thresholds.thetaInfl);
  const b = await estimateTrials(runDir, manifest, odd, 'the odd trials', thresholds.thetaInfl);
  const selected = (e: RunEstimates): Set<number> => new Set(Array.from(selectPairs(e.memo, e.influence, thresholds), (r) => e.influence.trainIndex[r]! * manifest.dataset.nTest + e.influence.testIndex[r]!));
  const [inA, inB] = [selected(a), selected(b)];
  const both = [...inA].filter((key) => inB.has(key)).length;
  const union = inA.size + inB.size - both;
  return { jaccard: union > 0 ? both / union : NaN, trials: [a.trials, b.trials] };
}

export async function pairs(options: PairsOptions): Promise<PairsResult> {
  const runDir = new RunDirectory(options.runDir);
  const manifest = await runDir.readManifest();
  const log = createLogger(runDir.logsDir, 'pairs');
  const remedy = `run \`memorize estimate --run-dir ${runDir.root}\` first`;
  const memFile = await readColumns(join(runDir.estimatesDir, 'memorization.arrow'), ['mem', 'se', 'n_in', 'n_out', 'correct_in', 'correct_out'], remedy);
  const inflFile = await readColumns(join(runDir.estimatesDir, 'influence.arrow'), ['train_index', 'test_index', 'label', 'infl', 'se', 'ci_low', 'ci_high', 'correct_in', 'correct_out'], remedy);
  const floor = inflFile.metadata.get('memorize.influence_floor');
  if (floor && floor !== 'none' && options.thetaInfl < Number(floor)) {
    throw new UsageError(`--theta-infl ${options.thetaInfl} is below ${floor}, the floor under which influence.arrow kept no pairs; use --theta-infl >= ${floor}`);
  }
  const mem = memFile.columns.mem as Float64Array;
  const c = inflFile.columns;
  const m = memFile.columns;
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
  const trials = Number(inflFile.metadata.get('memorize.trials') ?? NaN);
  const range = inflFile.metadata.get('memorize.trial_range') ?? 'all';
  const used = inRange(range === 'all' ? undefined : parseTrialRange('memorize.trial_range', range));
  const summary: PairsResult['summary'] = {
    thetaMem: options.thetaMem,
    thetaInfl: options.thetaInfl,
    trials,
    ...summarizePairs(influence, rows),
    undefinedPairs: countUndefinedPairs(memo, influence, options),
    splitHalf: await splitHalf(runDir, manifest, used, options),
  };
  const train = await runDir.readExamples('train', manifest);
  const test = await runDir.readExamples('test', manifest);
  if (train.subpopulation && test.subpopulation) summary.precision = pairPrecision(influence, rows, train.subpopulation, test.subpopulation);
  await writeColumns(runDir.path('pairs.arrow'), selected, { 'memorize.format': 'pairs/1', 'memorize.config_hash': manifest.configHash });
  await writeFileAtomic(runDir.path('pairs.json'), `${JSON.stringify(summary, null, 2)}\n`);
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
