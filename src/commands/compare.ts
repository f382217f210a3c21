// `memorize compare`: how well two runs on the same data agree (supplement C, Fig. C.2, eq. 4), or the two
// halves of one run (even against odd trials): J and D of mem and infl at thresholds 0 to 1, pair counts,
// accuracies and Pearson correlations, into compare.json.
import { UsageError } from '../errors.js';
import { selectDefined } from '../estimate/estimator.js';
import { compareEstimates, type ConsistencyRow, type Correlations } from '../estimate/run-consistency.js';
import { formatTrialRange, inRange, splitHalves, type TrialFilter, type TrialRange } from '../estimate/trial-selection.js';
import { writeFileAtomic } from '../store/atomic.js';
import { RunDirectory, type RunManifest } from '../store/run-dir.js';
import { estimateTrials } from './estimate.js';

export interface CompareOptions {
  runA: string;
  runB?: string; // absent: the split-half of runA
  memCondition: number | null; // I_infl's mem >= 0.25 condition of eq. 4; null drops it (Fig. C.3)
  trials?: TrialRange; // use only these trials of each run
  out?: string; // default: <runA>/compare.json
}

export interface CompareSide {
  runDir: string;
  model: string;
  trials: number; // trials used
  selection: string; // which trials: all, FIRST:LAST, even, odd
  meanTestAccuracy: number;
  memorized: number; // defined estimates with mem >= 0.25
}

export interface CompareResult {
  mode: 'runs' | 'split-half';
  memCondition: number | null;
  sides: [CompareSide, CompareSide];
  rows: ConsistencyRow[];
  correlations: Correlations;
  outPath: string;
}

async function openRun(dir: string): Promise<{ runDir: RunDirectory; manifest: RunManifest }> {
  const runDir = new RunDirectory(dir);
  return { runDir, manifest: await runDir.readManifest() };
}

async function side(run: { runDir: RunDirectory; manifest: RunManifest }, keep: TrialFilter, selection: string) {
  // Eq. 4's D_infl needs both runs' infl of every pair either selects: every same-class pair.
  const estimates = await estimateTrials(run.runDir, run.manifest, keep, `${selection} trials`, null, 'compare holds every pair in memory: compare runs with fewer classes or examples');
  const summary: CompareSide = {
    runDir: run.runDir.root,
    model: run.manifest.config.model,
    trials: estimates.trials,
    selection,
    meanTestAccuracy: estimates.meanTestAccuracy,
    memorized: selectDefined(estimates.memo.mem, estimates.memo.se, 0.25).reduce((a, b) => a + b, 0),
  };
  return { estimates, summary };
}

export async function compare(options: CompareOptions): Promise<CompareResult> {
  if (options.memCondition !== null && !(options.memCondition >= 0 && options.memCondition <= 1)) {
    throw new UsageError(`--mem-condition must be a number in [0, 1] (or --no-mem-condition), got ${options.memCondition}`);
  }
  const a = await openRun(options.runA);
  const range = inRange(options.trials);
  const rangeName = formatTrialRange(options.trials);
  let sides;
  if (options.runB === undefined) {
    const [even, odd] = splitHalves(range);
    sides = [await side(a, even, 'even'), await side(a, odd, 'odd')] as const;
  } else {
    const b = await openRun(options.runB);
    const [fa, fb] = [a.manifest.dataset, b.manifest.dataset];
    if (fa.fingerprint !== fb.fingerprint) {
      throw new UsageError(`${options.runA} and ${options.runB} were made on different data (${fa.name} ${fa.fingerprint.slice(0, 12)} and ${fb.name} ${fb.fingerprint.slice(0, 12)}); compare needs runs on the same training and test sets`);
    }
    sides = [await side(a, range, rangeName), await side(b, range, rangeName)] as const;
  }
  const consistency = compareEstimates(sides[0].estimates, sides[1].estimates, options.memCondition);
  const result: CompareResult = {
    mode: options.runB === undefined ? 'split-half' : 'runs',
    memCondition: options.memCondition,
    sides: [sides[0].summary, sides[1].summary],
    ...consistency,
    outPath: options.out ?? a.runDir.path('compare.json'),
  };
  await writeFileAtomic(result.outPath, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}
