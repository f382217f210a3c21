// `memorize loo`: how close the subsampled mem_m is to the leave-one-out memorization it stands in for
// (paper eq. 1 with m = n). Picks examples spread over the mem range (one per equal-width bin, seeded), trains
// R models on the full set and R on the full set minus each example, and reports LOO mem beside mem_m.
import { UsageError } from '../errors.js';
import { pearson } from '../estimate/consistency.js';
import { conditionalDifference, selectDefined } from '../estimate/estimator.js';
import { writeFileAtomic } from '../store/atomic.js';
import type { DataOptions } from '../data/registry.js';
import { makeRandom } from '../train/seeds.js';
import { bitAt, openSource, readSourceMemorization, retrain, type RetrainOptions, type Retrained } from './retrain.js';

export interface LooOptions {
  from: string; // source run with estimates
  examples: number; // how many training examples to check
  runs: number; // R models per setting (1 is exact for a deterministic learner such as knn)
  seed: number; // of the example choice
  workers?: number;
  data?: DataOptions;
  out?: string; // default <from>/loo.json
  onSetting?: RetrainOptions['onSetting'];
}

export interface LooRow {
  index: number;
  mem: number; // mem_m from the source run
  memSe: number;
  loo: number; // P[h(x_i) = y_i | trained on S] - P[... | trained on S \ i], over R models each
  looSe: number;
  runDir: string; // the models without i
}

export interface LooResult {
  source: string;
  runs: number;
  fullRunDir: string;
  rows: LooRow[]; // ascending mem
  correlation: number; // Pearson r of mem_m and LOO mem over the rows
  outPath: string;
}

/** `count` examples spread over the mem range: the range of defined estimates cut into `count` equal-width
 * bins, one example drawn from each non-empty bin, then the shortfall drawn from the rest; ascending mem. */
export function spreadOverRange(mem: Float64Array, defined: Uint8Array, count: number, seed: number): number[] {
  const candidates = [...defined.keys()].filter((i) => defined[i]);
  const random = makeRandom('memorize', 'loo', seed);
  const values = candidates.map((i) => mem[i]!);
  const [lo, hi] = [values.reduce((a, b) => Math.min(a, b), Infinity), values.reduce((a, b) => Math.max(a, b), -Infinity)];
  const bins: number[][] = Array.from({ length: count }, () => []);
  for (const i of candidates) bins[hi > lo ? Math.min(count - 1, Math.floor(((mem[i]! - lo) / (hi - lo)) * count)) : 0]!.push(i);
  const draw = (pool: number[]): number => pool.splice(Math.floor(random() * pool.length), 1)[0]!;
  const picked = bins.filter((bin) => bin.length > 0).map(draw);
  const rest = bins.flat();
  while (picked.length < count && rest.length > 0) picked.push(draw(rest));
  return picked.sort((a, b) => mem[a]! - mem[b]! || a - b);
}

const hitsAt = (models: Retrained, i: number): number => models.trainCorrect.reduce((sum, view) => sum + bitAt(view, i), 0);

export async function loo(options: LooOptions): Promise<LooResult> {
  for (const [flag, value] of [['--examples', options.examples], ['--runs', options.runs]] as const) {
    if (!Number.isSafeInteger(value) || value < 1) throw new UsageError(`${flag} must be an integer >= 1, got ${value}`);
  }
  const source = await openSource(options.from);
  const { mem, se } = await readSourceMemorization(source);
  const defined = selectDefined(mem, se, -Infinity);
  const available = defined.reduce((a, b) => a + b, 0);
  if (options.examples > available) throw new UsageError(`--examples ${options.examples} is more than the ${available} examples with defined estimates in ${options.from}`);
  const chosen = spreadOverRange(mem, defined, options.examples, options.seed);
  const retrainOptions: RetrainOptions = { runs: options.runs, ...(options.workers !== undefined && { workers: options.workers }), ...(options.data && { data: options.data }), ...(options.onSetting && { onSetting: options.onSetting }) };
  const [full, ...without] = await retrain(source, [{ label: 'full set', exclude: [] }, ...chosen.map((i) => ({ label: `without ${i}`, exclude: [i] }))], retrainOptions);
  const R = options.runs;
  const rows = chosen.map((i, k) => {
    const d = conditionalDifference(hitsAt(full!, i), R, hitsAt(without[k]!, i), R);
    return { index: i, mem: mem[i]!, memSe: se[i]!, loo: d.value, looSe: d.se, runDir: without[k]!.runDir };
  });
  const result: LooResult = {
    source: options.from,
    runs: R,
    fullRunDir: full!.runDir,
    rows,
    correlation: pearson(rows.map((r) => r.mem), rows.map((r) => r.loo)),
    outPath: options.out ?? source.runDir.path('loo.json'),
  };
  await writeFileAtomic(result.outPath, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}
