// Algorithm 1 of Feldman & Zhang (2020): memorization and influence as differences of conditional
// accuracies over trials, from bit-packed masks, class block by class block (on worker threads, with SIMD
// popcount kernels); the n x n' matrix of influences is never held.
import { estimateBlocksOnWorkers } from './block-workers.js';
import { DifferenceIntervals } from './intervals.js';
import { PopcountKernel } from './bit-kernels.js';
import { atLeast, atLeastForRow, type RowTest } from './rational.js';
import type { TrialBits } from './trial-bits.js';

/** The trials of a run, example-major. */
export interface TrialMatrix {
  trials: number; // t: trials used (the set bits of `mask`, or every slot)
  subset: TrialBits; // [n] bit k: i in I_k
  trainCorrect: TrialBits; // [n] bit k: h_k(x_i) = y_i
  testCorrect: TrialBits; // [n'] bit k: h_k(x'_j) = y'_j
  mask?: Uint32Array; // [stride] the slots an analysis uses (estimate --trials, split halves); absent: all
}

/** A difference of two conditional Bernoulli means with its standard error. */
export interface Difference {
  value: number; // p_in - p_out
  se: number; // sqrt(p_in(1-p_in)/n_in + p_out(1-p_out)/n_out); NaN when n_in or n_out is 0
}

/** p_in - p_out from counts; a condition that holds in no trial gives 1/2 (supplement A). */
export function conditionalDifference(correctIn: number, nIn: number, correctOut: number, nOut: number): Difference {
  const pIn = nIn > 0 ? correctIn / nIn : 0.5;
  const pOut = nOut > 0 ? correctOut / nOut : 0.5;
  const se = nIn > 0 && nOut > 0 ? Math.sqrt((pIn * (1 - pIn)) / nIn + (pOut * (1 - pOut)) / nOut) : NaN;
  return { value: pIn - pOut, se };
}

export interface Memorization {
  mem: Float64Array; // [n]
  se: Float64Array;
  low: Float64Array; // 95% interval (Newcombe-Wilson), never a point
  high: Float64Array;
  nIn: Int32Array; // trials with i in the subset
  nOut: Int32Array; // trials without i
  correctIn: Int32Array; // of those, trials with h(x_i) = y_i: mem = correctIn/nIn - correctOut/nOut exactly
  correctOut: Int32Array;
}

/** Influence estimates of same-class (train i, test j) pairs, as parallel columns. */
export interface InfluenceTable {
  trainIndex: Int32Array;
  testIndex: Int32Array;
  infl: Float32Array;
  se: Float32Array;
  low: Float32Array; // 95% interval (Newcombe-Wilson), never a point
  high: Float32Array;
  correctIn: Int32Array; // trials with i in the subset and h(x'_j) = y'_j (n_in, n_out: those of i)
  correctOut: Int32Array; // trials without i and h(x'_j) = y'_j
}

export interface InfluenceOptions {
  /** Keep only pairs with infl >= floor, decided exactly on the counts (-Infinity keeps every same-class pair). */
  floor: number;
}

/** Indices of each class, in ascending order. */
export function indicesByClass(labels: Int32Array, numClasses: number): Int32Array[] {
  const counts = new Int32Array(numClasses);
  for (const label of labels) counts[label]!++;
  const groups = Array.from(counts, (count) => new Int32Array(count));
  const filled = new Int32Array(numClasses);
  labels.forEach((label, i) => (groups[label]![filled[label]!++] = i));
  return groups;
}

/** One unit of work: some training examples of one class against every test example of that class. */
export interface ClassBlock {
  trainRows: Int32Array;
  testRows: Int32Array;
}

/** At most this many (train, test) counts in one block (16 MiB), and this many training rows. */
const MAX_BLOCK_PAIRS = 1 << 22;
const MAX_BLOCK_ROWS = 4096;

/** The class blocks of a data set, in class order, each class's training examples in ascending slices. */
export function classBlocks(trainLabels: Int32Array, testLabels: Int32Array, numClasses: number): ClassBlock[] {
  const train = indicesByClass(trainLabels, numClasses);
  const test = indicesByClass(testLabels, numClasses);
  return train.flatMap((rows, c) => {
    const testRows = test[c]!;
    const size = Math.max(1, Math.min(MAX_BLOCK_ROWS, Math.floor(MAX_BLOCK_PAIRS / Math.max(1, testRows.length))));
    return Array.from({ length: Math.ceil(rows.length / size) }, (_, b) => ({ trainRows: rows.subarray(b * size, (b + 1) * size), testRows }));
  });
}

/** What one class block gives: memorization of its training rows (in order) and its kept pairs. */
export interface BlockEstimates {
  memo: Memorization;
  influence: InfluenceTable;
}

const emptyMemorization = (n: number): Memorization => ({ mem: new Float64Array(n), se: new Float64Array(n), low: new Float64Array(n), high: new Float64Array(n), nIn: new Int32Array(n), nOut: new Int32Array(n), correctIn: new Int32Array(n), correctOut: new Int32Array(n) });

const emptyInfluence = (n: number): InfluenceTable => ({ trainIndex: new Int32Array(n), testIndex: new Int32Array(n), infl: new Float32Array(n), se: new Float32Array(n), low: new Float32Array(n), high: new Float32Array(n), correctIn: new Int32Array(n), correctOut: new Int32Array(n) });

/** The columns of one kind of estimate (mem or infl) that come from its counts. */
interface EstimateColumns {
  value: Float64Array | Float32Array;
  se: Float64Array | Float32Array;
  low: Float64Array | Float32Array;
  high: Float64Array | Float32Array;
  correctIn: Int32Array;
  correctOut: Int32Array;
}

/** Row k of `columns` from the counts: p_in - p_out, its standard error and 95% interval (of `intervals`, made for
 * this n_in and n_out), and the counts. */
function setEstimate(columns: EstimateColumns, k: number, correctIn: number, nIn: number, correctOut: number, nOut: number, intervals: DifferenceIntervals): void {
  const d = conditionalDifference(correctIn, nIn, correctOut, nOut);
  intervals.set(correctIn, correctOut);
  columns.value[k] = d.value;
  columns.se[k] = d.se;
  columns.low[k] = intervals.low;
  columns.high[k] = intervals.high;
  columns.correctIn[k] = correctIn;
  columns.correctOut[k] = correctOut;
}

/** mem of the block's training rows and infl of its pairs (those the floor keeps): the in-subset correct count
 * of (i, j) is popcount(subset_i AND testCorrect_j), counted by the SIMD kernels. */
export function estimateBlock(kernel: PopcountKernel, matrix: TrialMatrix, block: ClassBlock, floor: (nIn: number, nOut: number) => RowTest): BlockEstimates {
  kernel.reset();
  const t = matrix.trials;
  const subset = kernel.gatherRows(matrix.subset.data, block.trainRows, matrix.mask);
  const trainCorrect = kernel.gatherRows(matrix.trainCorrect.data, block.trainRows, matrix.mask);
  const testCorrect = kernel.gatherRows(matrix.testCorrect.data, block.testRows, matrix.mask);
  const nIn = kernel.countRows(subset);
  const trainCorrectTotal = kernel.countRows(trainCorrect);
  const trainCorrectIn = kernel.countRows(subset, trainCorrect);
  const testCorrectTotal = kernel.countRows(testCorrect);
  const counts = kernel.countPairs(subset, testCorrect); // [na, nb]
  const na = block.trainRows.length;
  const nb = block.testRows.length;
  const memo = emptyMemorization(na);
  const memColumns: EstimateColumns = { ...memo, value: memo.mem };
  for (let r = 0; r < na; r++) {
    memo.nIn[r] = nIn[r]!;
    memo.nOut[r] = t - nIn[r]!;
    setEstimate(memColumns, r, trainCorrectIn[r]!, nIn[r]!, trainCorrectTotal[r]! - trainCorrectIn[r]!, t - nIn[r]!, new DifferenceIntervals(nIn[r]!, t - nIn[r]!));
  }
  // The pairs the floor keeps, as positions r * nb + s of `counts`; then exactly that many rows are filled.
  const positions = new Int32Array(na * nb);
  let kept = 0;
  for (let r = 0, at = 0; r < na; r++) {
    const keeps = floor(nIn[r]!, t - nIn[r]!);
    for (let s = 0; s < nb; s++, at++) if (keeps(counts[at]!, testCorrectTotal[s]! - counts[at]!)) positions[kept++] = at;
  }
  const influence = emptyInfluence(kept);
  const inflColumns: EstimateColumns = { ...influence, value: influence.infl };
  // Positions ascend, so a row's pairs come together and share its interval terms.
  let intervals = new DifferenceIntervals(0, 0);
  for (let k = 0, row = -1; k < kept; k++) {
    const at = positions[k]!;
    const r = Math.floor(at / nb);
    const s = at - r * nb;
    if (r !== row) {
      row = r;
      intervals = new DifferenceIntervals(nIn[r]!, t - nIn[r]!);
    }
    influence.trainIndex[k] = block.trainRows[r]!;
    influence.testIndex[k] = block.testRows[s]!;
    setEstimate(inflColumns, k, counts[at]!, nIn[r]!, testCorrectTotal[s]! - counts[at]!, t - nIn[r]!, intervals);
  }
  return { memo, influence };
}

/** Concatenates the blocks' results: memorization scattered back to example order, pairs in block order. */
function assemble(n: number, blocks: readonly ClassBlock[], results: readonly BlockEstimates[]): { memo: Memorization; influence: InfluenceTable } {
  const memo = emptyMemorization(n);
  const influence = emptyInfluence(results.reduce((sum, r) => sum + r.influence.infl.length, 0));
  let offset = 0;
  results.forEach((result, b) => {
    const rows = blocks[b]!.trainRows;
    for (const key of Object.keys(memo) as (keyof Memorization)[]) {
      const from = result.memo[key];
      const to = memo[key];
      for (let r = 0; r < rows.length; r++) to[rows[r]!] = from[r]!; // a loop, not forEach: 10 M copies at ImageNet scale
    }
    for (const key of Object.keys(influence) as (keyof InfluenceTable)[]) influence[key].set(result.influence[key], offset);
    offset += result.influence.infl.length;
  });
  return { memo, influence };
}

export interface EstimateOptions extends InfluenceOptions {
  threads: number; // worker threads over the class blocks; 1 estimates in this thread
}

/** Algorithm 1: mem(i) = P[h(x_i) = y_i | i in I] - P[h(x_i) = y_i | i not in I] for every training example,
 * and infl(i, j) for every same-class pair the floor keeps, class block by class block; the n x n' matrix of
 * influences is never held. */
export async function estimateAll(matrix: TrialMatrix, trainLabels: Int32Array, testLabels: Int32Array, numClasses: number, options: EstimateOptions): Promise<{ memo: Memorization; influence: InfluenceTable }> {
  const blocks = classBlocks(trainLabels, testLabels, numClasses);
  const threads = Math.min(options.threads, blocks.length);
  let results: BlockEstimates[];
  if (threads <= 1) {
    const kernel = new PopcountKernel(matrix.subset.stride);
    const floor = atLeastForRow(options.floor);
    results = blocks.map((block) => estimateBlock(kernel, matrix, block, floor));
  } else {
    results = await estimateBlocksOnWorkers(matrix, blocks, options.floor, threads);
  }
  return assemble(trainLabels.length, blocks, results);
}

/** Why some estimates are undefined: examples in every trial's subset (n_out = 0) or in none (n_in = 0).
 * Their standard error is NaN; they are never counted as memorized nor selected. */
export interface UndefinedEstimates {
  neverLeftOut: number; // n_out = 0
  neverIncluded: number; // n_in = 0 (excluded from training, or t too small)
}

export function countUndefined(memo: Pick<Memorization, 'nIn' | 'nOut'>): UndefinedEstimates {
  let neverLeftOut = 0;
  let neverIncluded = 0;
  for (let i = 0; i < memo.nIn.length; i++) {
    if (memo.nOut[i] === 0) neverLeftOut++;
    else if (memo.nIn[i] === 0) neverIncluded++;
  }
  return { neverLeftOut, neverIncluded };
}

/** 1 where an estimate is defined (finite standard error, both sides observed) and at least `theta`. */
export function selectDefined(values: ArrayLike<number>, se: ArrayLike<number>, theta: number): Uint8Array {
  const selected = new Uint8Array(values.length);
  for (let r = 0; r < selected.length; r++) selected[r] = values[r]! >= theta && Number.isFinite(se[r]!) ? 1 : 0;
  return selected;
}

/** 1 where mem(i) >= theta, decided exactly on the counts, and the estimate is defined (finite standard error). */
export function selectMemorized(memo: Memorization, theta: number): Uint8Array {
  const test = atLeast(theta);
  const selected = new Uint8Array(memo.mem.length);
  for (let i = 0; i < selected.length; i++) selected[i] = Number.isFinite(memo.se[i]!) && test(memo.correctIn[i]!, memo.nIn[i]!, memo.correctOut[i]!, memo.nOut[i]!) ? 1 : 0;
  return selected;
}

/** Number of same-class (train, test) pairs: the size of the full influence table. */
export function countSameClassPairs(trainLabels: Int32Array, testLabels: Int32Array, numClasses: number): number {
  const train = indicesByClass(trainLabels, numClasses);
  const test = indicesByClass(testLabels, numClasses);
  return train.reduce((sum, group, c) => sum + group.length * test[c]!.length, 0);
}
