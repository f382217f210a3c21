// `memorize estimate`: Algorithm 1 over every finished trial of a run, into estimates/*.arrow.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { countSameClassPairs, estimateInfluence, estimateMemorization, type InfluenceTable, type Memorization, type TrialMatrix } from '../estimate/estimator.js';
import { memorizationBySubpopulationSize, type FrequencyBucket } from '../estimate/ground-truth.js';
import { TrialBits } from '../estimate/trial-bits.js';
import { createLogger } from '../log.js';
import { RunDirectory, type RunManifest } from '../store/run-dir.js';
import { writeColumns } from '../store/tables.js';

/** Above this many same-class pairs, influence.arrow keeps only pairs with infl >= INFLUENCE_FLOOR. */
export const MAX_FULL_INFLUENCE_PAIRS = 20_000_000;
export const INFLUENCE_FLOOR = 0.05;

export interface EstimateOptions {
  runDir: string;
}

export interface EstimateSummary {
  trials: number; // trial files used (t)
  requestedTrials: number; // t in run.json
  n: number;
  nTest: number;
  meanMem: number;
  memorizedAtQuarter: number; // examples with mem >= 0.25
  influencePairs: number; // rows in influence.arrow
  influenceFloor: number | null; // null when every same-class pair is kept
  meanTestAccuracy: number;
  bySubpopulationSize?: FrequencyBucket[]; // where the data set knows its subpopulations
}

/** Reads every trial file into example-major bit matrices. */
async function readTrialMatrix(runDir: RunDirectory, manifest: RunManifest): Promise<{ matrix: TrialMatrix; meanTestAccuracy: number }> {
  const files = await runDir.listTrials();
  if (files.size === 0) throw new UsageError(`no finished trials in ${runDir.trialsDir}; run \`memorize train --run-dir ${runDir.root}\` first`);
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
    slot++;
  }
  return { matrix, meanTestAccuracy: accuracy / t };
}

async function writeEstimates(runDir: RunDirectory, labels: Int32Array, testLabels: Int32Array, memo: Memorization, influence: InfluenceTable, metadata: Record<string, string>): Promise<void> {
  await mkdir(runDir.estimatesDir, { recursive: true });
  await writeColumns(
    join(runDir.estimatesDir, 'memorization.arrow'),
    { index: Int32Array.from(labels, (_, i) => i), label: labels, mem: memo.mem, se: memo.se, n_in: memo.nIn, n_out: memo.nOut },
    metadata,
  );
  await writeColumns(
    join(runDir.estimatesDir, 'influence.arrow'),
    { train_index: influence.trainIndex, test_index: influence.testIndex, label: Int32Array.from(influence.testIndex, (j) => testLabels[j]!), infl: influence.infl, se: influence.se },
    metadata,
  );
}

export async function estimate(options: EstimateOptions): Promise<EstimateSummary> {
  const runDir = new RunDirectory(options.runDir);
  const manifest = await runDir.readManifest();
  const log = createLogger(runDir.logsDir, 'estimate');
  const train = await runDir.readExamples('train', manifest);
  const test = await runDir.readExamples('test', manifest);
  const { matrix, meanTestAccuracy } = await readTrialMatrix(runDir, manifest);
  const { numClasses } = manifest.dataset;
  const memo = estimateMemorization(matrix);
  const fullPairs = countSameClassPairs(train.label, test.label, numClasses);
  const floor = fullPairs > MAX_FULL_INFLUENCE_PAIRS ? INFLUENCE_FLOOR : null;
  const influence = estimateInfluence(matrix, train.label, test.label, numClasses, { floor: floor ?? -Infinity });
  const metadata = { 'memorize.format': 'estimates/1', 'memorize.trials': String(matrix.trials), 'memorize.config_hash': manifest.configHash, 'memorize.influence_floor': floor === null ? 'none' : String(floor) };
  await writeEstimates(runDir, train.label, test.label, memo, influence, metadata);
  const summary: EstimateSummary = {
    trials: matrix.trials,
    requestedTrials: manifest.trials,
    n: manifest.dataset.n,
    nTest: manifest.dataset.nTest,
    meanMem: memo.mem.reduce((a, b) => a + b, 0) / memo.mem.length,
    memorizedAtQuarter: memo.mem.filter((v) => v >= 0.25).length,
    influencePairs: influence.infl.length,
    influenceFloor: floor,
    meanTestAccuracy,
  };
  if (train.subpopulation) summary.bySubpopulationSize = memorizationBySubpopulationSize(memo.mem, train.subpopulation);
  log.info(summary, 'estimate done');
  return summary;
}
