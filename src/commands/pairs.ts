// `memorize pairs`: select the high-influence pairs from a run's estimates, with the paper's counts.
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import type { InfluenceTable } from '../estimate/estimator.js';
import { pairPrecision } from '../estimate/ground-truth.js';
import { selectPairs, summarizePairs, type PairSummary, type Thresholds } from '../estimate/pairs.js';
import { createLogger } from '../log.js';
import { writeFileAtomic } from '../store/atomic.js';
import { RunDirectory } from '../store/run-dir.js';
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
}

export interface PairsResult {
  summary: PairSummary & Thresholds & { trials: number; precision?: number };
  top: Pair[]; // the selected pairs with the highest influence
}

const TOP_PAIRS = 10;

export async function pairs(options: PairsOptions): Promise<PairsResult> {
  const runDir = new RunDirectory(options.runDir);
  const manifest = await runDir.readManifest();
  const log = createLogger(runDir.logsDir, 'pairs');
  const remedy = `run \`memorize estimate --run-dir ${runDir.root}\` first`;
  const memFile = await readColumns(join(runDir.estimatesDir, 'memorization.arrow'), ['mem'], remedy);
  const inflFile = await readColumns(join(runDir.estimatesDir, 'influence.arrow'), ['train_index', 'test_index', 'label', 'infl', 'se'], remedy);
  const floor = inflFile.metadata.get('memorize.influence_floor');
  if (floor && floor !== 'none' && options.thetaInfl < Number(floor)) {
    throw new UsageError(`--theta-infl ${options.thetaInfl} is below ${floor}, the floor under which influence.arrow kept no pairs; use --theta-infl >= ${floor}`);
  }
  const mem = memFile.columns.mem as Float64Array;
  const c = inflFile.columns;
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
  const trials = Number(inflFile.metadata.get('memorize.trials') ?? NaN);
  const summary: PairsResult['summary'] = { thetaMem: options.thetaMem, thetaInfl: options.thetaInfl, trials, ...summarizePairs(influence, rows) };
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
  }));
  return { summary, top };
}
