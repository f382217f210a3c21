// `memorize pairs`: select the high-influence pairs from a run's estimates, with the paper's counts.
import { UsageError, usageCheck } from '../errors.js';
import type { InfluenceTable } from '../estimate/estimator.js';
import { pairPrecision } from '../estimate/ground-truth.js';
import { selectPairs, summarizePairs, type PairSummary, type Thresholds } from '../estimate/pairs.js';
import { createLogger } from '../log.js';
import { readEstimates, writePairs } from '../store/estimates-files.js';
import { RunDirectory } from '../store/run-dir.js';

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
}

export interface PairsResult {
  summary: PairSummary & Thresholds & { trials: number; finishedTrials: number; precision?: number }; // trials: those the estimates used, of finishedTrials in trials/
  top: Pair[]; // the selected pairs with the highest influence
}

const TOP_PAIRS = 10;

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
  const influence: InfluenceTable = { trainIndex: c.train_index as Int32Array, testIndex: c.test_index as Int32Array, infl: c.infl as Float32Array, se: c.se as Float32Array };
  const rows = selectPairs(mem, influence, options);
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
  };
  const summary: PairsResult['summary'] = { thetaMem: options.thetaMem, thetaInfl: options.thetaInfl, trials: estimates.trials.length, finishedTrials: finished.size, ...summarizePairs(influence, rows) };
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
  }));
  return { summary, top };
}
