// `memorize ablate`: the marginal utility of memorized examples by removal and retraining. Default (Fig. 2):
// for each mem threshold, remove the examples with mem >= it and, separately, as many chosen at random, and
// train R models on each remainder. --pairs (supplement C): remove S_h, the training examples of the
// selected pairs, and measure accuracy on S'_h, their test partners, against the full set.
import { UsageError } from '../errors.js';
import { selectDefined } from '../estimate/estimator.js';
import { writeFileAtomic } from '../store/atomic.js';
import { readColumns } from '../store/tables.js';
import type { DataOptions } from '../data/registry.js';
import { makeRandom, shuffled } from '../train/seeds.js';
import { bitAt, meanAndSd, openSource, readSourceMemorization, retrain, type RetrainOptions, type Retrained, type SourceRun } from './retrain.js';

export interface AblateOptions {
  from: string; // source run directory, with estimates (and pairs.json/pairs.arrow for --pairs)
  thresholds: number[]; // mem thresholds (ignored with pairs)
  runs: number; // R models per setting
  seed: number; // of the random removals
  pairs: boolean;
  workers?: number;
  data?: DataOptions;
  out?: string; // default <from>/ablate.json or <from>/ablate-pairs.json
  onSetting?: RetrainOptions['onSetting'];
}

export interface Accuracy {
  mean: number;
  sd: number; // sample standard deviation over the R models
}

export interface ThresholdRow {
  threshold: number;
  removed: number; // examples with defined mem >= threshold, and as many random ones
  fractionLeft: number; // (n - removed) / n
  highMem: Accuracy; // test accuracy without the memorized examples
  random: Accuracy; // test accuracy without as many random examples
}

export interface AblateResult {
  source: string;
  runs: number;
  n: number;
  full: Accuracy; // nothing removed
  rows?: ThresholdRow[];
  pairs?: {
    trainRemoved: number; // |S_h|
    testInfluenced: number; // |S'_h|
    overall: { full: Accuracy; withoutSh: Accuracy; randomRemoved: Accuracy };
    onInfluenced: { full: Accuracy; withoutSh: Accuracy; randomRemoved: Accuracy }; // accuracy on S'_h
    contribution: number; // (full - without S_h) accuracy on S'_h, times |S'_h| / n': its share of the overall drop
  };
  outPath: string;
}

/** `count` training indices drawn at random (seeded by seed and count), ascending. */
function randomRemoval(n: number, count: number, seed: number): number[] {
  const all = Int32Array.from({ length: n }, (_, i) => i);
  return [...shuffled(all, makeRandom('memorize', 'ablate-random', seed, count)).subarray(0, count)].sort((a, b) => a - b);
}

const accuracy = (models: Retrained): Accuracy => meanAndSd(models.testAccuracy);

/** Test accuracy of each model on the test examples `indices`. */
function accuracyOn(models: Retrained, indices: number[]): Accuracy {
  return meanAndSd(models.testCorrect.map((view) => indices.reduce((hits, j) => hits + bitAt(view, j), 0) / indices.length));
}

export function checkThresholds(thresholds: number[]): void {
  const bad = thresholds.find((t) => !(t >= 0 && t <= 1));
  if (thresholds.length === 0 || bad !== undefined) throw new UsageError(`--thresholds must be mem thresholds in [0, 1], got ${thresholds.length === 0 ? 'none' : String(bad)}`);
}

async function readSelectedPairs(source: SourceRun): Promise<{ train: number[]; test: number[] }> {
  const path = source.runDir.path('pairs.arrow');
  const { columns, metadata } = await readColumns(path, ['train_index', 'test_index'], `run \`memorize pairs --run-dir ${source.runDir.root}\` first`);
  if (metadata.get('memorize.config_hash') !== source.manifest.configHash) throw new UsageError(`${path} was selected for another config; rerun \`memorize estimate\` and \`memorize pairs\` on ${source.runDir.root}`);
  const distinct = (column: ArrayLike<number>): number[] => [...new Set(Array.from(column))].sort((a, b) => a - b);
  const pairs = { train: distinct(columns.train_index), test: distinct(columns.test_index) };
  if (pairs.train.length === 0) throw new UsageError(`${path} holds no pairs, so there is nothing to remove; lower --theta-infl or run more trials, then rerun \`memorize pairs\``);
  return pairs;
}

export async function ablate(options: AblateOptions): Promise<AblateResult> {
  if (!Number.isSafeInteger(options.runs) || options.runs < 1) throw new UsageError(`--runs must be an integer >= 1, got ${options.runs}`);
  if (!options.pairs) checkThresholds(options.thresholds);
  const source = await openSource(options.from);
  const { n } = source.manifest.dataset;
  const retrainOptions: RetrainOptions = { runs: options.runs, ...(options.workers !== undefined && { workers: options.workers }), ...(options.data && { data: options.data }), ...(options.onSetting && { onSetting: options.onSetting }) };
  const base = { source: options.from, runs: options.runs, n };
  let result: AblateResult;
  if (options.pairs) {
    const pairs = await readSelectedPairs(source);
    const [full, withoutSh, randomRemoved] = await retrain(source, [
      { label: 'full set', exclude: [] },
      { label: `without S_h (${pairs.train.length})`, exclude: pairs.train },
      { label: `without ${pairs.train.length} random`, exclude: randomRemoval(n, pairs.train.length, options.seed) },
    ], retrainOptions);
    const onInfluenced = { full: accuracyOn(full!, pairs.test), withoutSh: accuracyOn(withoutSh!, pairs.test), randomRemoved: accuracyOn(randomRemoved!, pairs.test) };
    result = {
      ...base,
      full: accuracy(full!),
      pairs: {
        trainRemoved: pairs.train.length,
        testInfluenced: pairs.test.length,
        overall: { full: accuracy(full!), withoutSh: accuracy(withoutSh!), randomRemoved: accuracy(randomRemoved!) },
        onInfluenced,
        contribution: ((onInfluenced.full.mean - onInfluenced.withoutSh.mean) * pairs.test.length) / source.manifest.dataset.nTest,
      },
      outPath: options.out ?? source.runDir.path('ablate-pairs.json'),
    };
  } else {
    const { mem, se } = await readSourceMemorization(source);
    const removals = options.thresholds.map((threshold) => {
      const selected = selectDefined(mem, se, threshold);
      const highMem = [...selected.keys()].filter((i) => selected[i]);
      return { threshold, highMem, random: randomRemoval(n, highMem.length, options.seed) };
    });
    const settings = [{ label: 'full set', exclude: [] }, ...removals.flatMap((r) => [{ label: `mem >= ${r.threshold}`, exclude: r.highMem }, { label: `${r.highMem.length} random`, exclude: r.random }])];
    const [full, ...trained] = await retrain(source, settings, retrainOptions);
    result = {
      ...base,
      full: accuracy(full!),
      rows: removals.map((r, k) => ({ threshold: r.threshold, removed: r.highMem.length, fractionLeft: (n - r.highMem.length) / n, highMem: accuracy(trained[2 * k]!), random: accuracy(trained[2 * k + 1]!) })),
      outPath: options.out ?? source.runDir.path('ablate.json'),
    };
  }
  await writeFileAtomic(result.outPath, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}
