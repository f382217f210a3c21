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

/** Up to this many same-class pairs, influence.arrow holds every one by default; above (CIFAR-100 and larger), only
 * pairs with infl >= DEFAULT_INFLUENCE_FLOOR: the pairs any analysis of the paper selects, at a small part of the
 * time and space (5 M pairs at CIFAR-100 scale, ~4,000 above the floor). */
export const FULL_INFLUENCE_PAIRS_BY_DEFAULT = 1_000_000;
export const DEFAULT_INFLUENCE_FLOOR = 0.05;
/** A table of every same-class pair is refused above this many (36 bytes a pair: 720 MB). */
export const MAX_FULL_INFLUENCE_PAIRS = 20_000_000;

/** What influence.arrow keeps: pairs with infl >= a floor (decided exactly), every same-class pair (null), or the
 * default (every pair up to FULL_INFLUENCE_PAIRS_BY_DEFAULT, else the 0.05 floor). */
export type InfluenceFloor = number | null | 'default';

export interface EstimateOptions {
  runDir: string;
  trials?: TrialRange; // use only these trials (default: every finished trial)
  influenceFloor?: InfluenceFloor; // default: 'default'
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
  sameClassPairs: number; // of this many same-class pairs
  everyPairFits: boolean; // --influence-floor none may keep them all (at most MAX_FULL_INFLUENCE_PAIRS)
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
 * lists them in ascending order; `select` masks a subset of them (the report's first t' trials); `saved` is the
 * cache's write, which the caller awaits before it finishes. */
export async function readTrialMatrix(runDir: RunDirectory, manifest: RunManifest, keep: TrialFilter = () => true, which = 'the run'): Promise<{ matrix: TrialMatrix; trials: TrialInfo[]; meanTestAccuracy: number; filesRead: number; select: (keep: TrialFilter) => TrialMatrix; saved: Promise<void> }> {
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
  return { matrix: select(() => true), trials, meanTestAccuracy: trials.reduce((sum, info) => sum + info.testAccuracy, 0) / trials.length, filesRead: slots.filesRead, select, saved: slots.saved };
}

function estimateTables(labels: Int32Array, testLabels: Int32Array, memo: Memorization, influence: InfluenceTable) {
  const pairLabels = new Int32Array(influence.testIndex.length);
  for (let r = 0; r < pairLabels.length; r++) pairLabels[r] = testLabels[influence.testIndex[r]!]!;
  return {
    memorization: { index: Int32Array.from(labels, (_, i) => i), label: labels, mem: memo.mem, se: memo.se, ci_low: memo.low, ci_high: memo.high, n_in: memo.nIn, n_out: memo.nOut, correct_in: memo.correctIn, correct_out: memo.correctOut },
    influence: { train_index: influence.trainIndex, test_index: influence.testIndex, label: pairLabels, infl: influence.infl, se: influence.se, ci_low: influence.low, ci_high: influence.high, correct_in: influence.correctIn, correct_out: influence.correctOut },
  };
}

/** Algorithm 1 over the trials `keep` accepts, in memory: what estimate writes and compare and pairs reuse.
 * `influenceFloor` says which pairs to keep (pairs' split halves need only pairs at theta_infl and up; compare every
 * pair); a table of every pair above MAX_FULL_INFLUENCE_PAIRS is refused, with `tooMany` saying what to do. */
export async function estimateTrials(runDir: RunDirectory, manifest: RunManifest, keep: TrialFilter, which: string, influenceFloor: InfluenceFloor, tooMany: string): Promise<RunEstimates & { trials: number; trialList: number[]; meanTestAccuracy: number; floor: number | null; sameClassPairs: number; train: ExampleTable; test: ExampleTable; filesRead: number }> {
  const train = await runDir.readExamples('train', manifest);
  const test = await runDir.readExamples('test', manifest);
  const { numClasses } = manifest.dataset;
  const fullPairs = countSameClassPairs(train.label, test.label, numClasses);
  const floor = influenceFloor === 'default' ? (fullPairs > FULL_INFLUENCE_PAIRS_BY_DEFAULT ? DEFAULT_INFLUENCE_FLOOR : null) : influenceFloor;
  if (floor === null && fullPairs > MAX_FULL_INFLUENCE_PAIRS) {
    throw new UsageError(`${runDir.root} has ${fullPairs.toLocaleString('en-US')} same-class pairs, more than a table of every pair may hold (${MAX_FULL_INFLUENCE_PAIRS.toLocaleString('en-US')}, 36 bytes each); ${tooMany}`);
  }
  const { matrix, trials, meanTestAccuracy, filesRead, saved } = await readTrialMatrix(runDir, manifest, keep, which);
  const [{ memo, influence }] = await Promise.all([estimateAll(matrix, train.label, test.label, numClasses, { floor: floor ?? -Infinity, threads: availableParallelism() }), saved]);
  return { memo, influence, trials: matrix.trials, trialList: trials.map((info) => info.trial), meanTestAccuracy, floor, sameClassPairs: fullPairs, train, test, filesRead };
}

export async function estimate(options: EstimateOptions): Promise<EstimateSummary> {
  const runDir = new RunDirectory(options.runDir);
  const manifest = await runDir.readManifest();
  const log = createLogger(runDir.logsDir, 'estimate');
  const removedTemporaries = await runDir.removeStaleTemporaries();
  const range = formatTrialRange(options.trials);
  const { memo, influence, trials, trialList, meanTestAccuracy, floor, sameClassPairs, train, test, filesRead } = await estimateTrials(runDir, manifest, inRange(options.trials), `--trials ${range}`, options.influenceFloor === undefined ? 'default' : options.influenceFloor, 'use --influence-floor F (the default above 1,000,000 pairs is 0.05)');
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
    sameClassPairs,
    everyPairFits: sameClassPairs <= MAX_FULL_INFLUENCE_PAIRS,
    influenceFloor: floor,
    meanTestAccuracy,
    removedTemporaries,
  };
  if (train.subpopulation) summary.bySubpopulationSize = memorizationBySubpopulationSize(memo.mem, train.subpopulation);
  log.info(summary, 'estimate done');
  return summary;
}
