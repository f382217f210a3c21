// Human-readable summaries of what each command returned, for the terminal.
import type { AblateResult } from '../commands/ablate.js';
import type { CompareResult } from '../commands/compare.js';
import type { LooResult } from '../commands/loo.js';
import type { EstimateSummary } from '../commands/estimate.js';
import { SPLIT_HALF_MINIMUM, type PairsResult } from '../commands/pairs.js';
import type { ReportResult } from '../commands/report.js';
import type { TrainSummary } from '../commands/train.js';
import type { RunStatus } from '../commands/status.js';
import { describeHolder } from '../train/claims.js';
import { formatDuration } from './progress.js';
import { formatBytes } from '../store/atomic.js';

const fixed = (v: number, digits = 3): string => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');

/** Left-aligned text table. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]): string => cells.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** "removed 3 leftover temporary files (1.2 MB) of interrupted writes", or nothing. */
function removedLine(removed: { files: number; bytes: number }): string[] {
  return removed.files > 0 ? [`  removed ${removed.files} leftover temporary file(s) (${formatBytes(removed.bytes)}) of interrupted writes`] : [];
}

export function formatTrain(s: TrainSummary): string {
  const rate = s.ran > 0 ? ` (${fixed((s.ran / s.seconds) * 60, 1)} trials/min)` : '';
  return [
    `train: ${s.ran} trials run, ${s.alreadyFinished} already finished, ${s.requested} in this shard, ${fixed(s.seconds, 1)} s${rate}`,
    ...(s.ran > 0 ? [`  mean test accuracy of the trials run: ${fixed(s.meanTestAccuracy)}; backend: ${s.backend ?? 'n/a'}`] : []),
    ...(s.heldElsewhere.length > 0 ? [`  ${s.heldElsewhere.length} trial(s) held by other processes' claims were left to them (memorize status --run-dir ${s.runDir})`] : []),
    ...removedLine(s.removedTemporaries),
    `  run directory: ${s.runDir}`,
  ].join('\n');
}

export function formatEstimate(s: EstimateSummary): string {
  const lines = [
    `estimate: ${s.trials} trials${s.trials < s.requestedTrials ? ` (of ${s.requestedTrials} requested)` : ''}, n = ${s.n} train, n' = ${s.nTest} test; mean test accuracy ${fixed(s.meanTestAccuracy)}`,
    `  trials used: ${s.trialRange === 'all' ? 'all finished' : `${s.trialRange} (--trials)`}; ${s.trialFilesRead} trial file(s) read${s.trialFilesRead < s.trials ? `, ${s.trials - s.trialFilesRead} from cache/trial-matrix.bin` : ''}`,
    `  mean mem ${fixed(s.meanMem)}; ${s.memorizedAtQuarter} examples with mem >= 0.25`,
    s.influenceFloor === null
      ? `  influence.arrow: every one of the ${s.sameClassPairs} same-class pairs`
      : `  influence.arrow: ${s.influencePairs} of the ${s.sameClassPairs} same-class pairs, those with infl >= ${s.influenceFloor}${s.everyPairFits ? ' (--influence-floor none keeps every pair)' : ''}`,
    ...removedLine(s.removedTemporaries),
  ];
  const { neverLeftOut, neverIncluded } = s.undefinedEstimates;
  if (neverLeftOut + neverIncluded > 0) {
    lines.push(`  left out of every count and selection: ${neverLeftOut + neverIncluded} examples with no trial on one side (NaN standard error): ${neverLeftOut} in every subset, ${neverIncluded} in none; run more trials or a lower --subset-ratio`);
  }
  if (s.bySubpopulationSize) {
    lines.push('  memorization by training size of the example\'s subpopulation (ground truth):');
    const rows = s.bySubpopulationSize.map((b) => [b.label, String(b.examples), fixed(b.meanMem)]);
    lines.push(...table(['subpopulation size', 'examples', 'mean mem'], rows).split('\n').map((l) => `    ${l}`));
  }
  return lines.join('\n');
}

export function formatPairs({ summary: s, top }: PairsResult): string {
  const histogram = Object.entries(s.testInfluencedBy).map(([k, count]) => `${count} by ${k}`).join(', ') || 'none';
  const lines = [
    `pairs: ${s.pairs} high-influence pairs (mem >= ${s.thetaMem}, infl >= ${s.thetaInfl}, same class) from ${s.trials} trials${s.finishedTrials > s.trials ? ` (${s.finishedTrials} are finished: rerun \`memorize estimate\` to use them all)` : ''}`,
    `  unique train examples ${s.uniqueTrain}, unique test examples ${s.uniqueTest}; test examples influenced by exactly k train examples: ${histogram}`,
  ];
  if (s.precision !== undefined) lines.push(`  ground truth: ${fixed(s.precision)} of the pairs share a subpopulation (precision)`);
  if (s.undefinedPairs > 0) lines.push(`  left out: ${s.undefinedPairs} pairs past both thresholds whose train example was in every subset or in none (NaN standard error)`);
  if (s.splitHalf) {
    const { jaccard, trials } = s.splitHalf;
    lines.push(`  split-half Jaccard of the selection (even vs odd trials, ${trials[0]} and ${trials[1]}): ${fixed(jaccard)} (a full run agrees better than its halves)`);
    if (!(jaccard >= SPLIT_HALF_MINIMUM)) lines.push(`  warning: split-half Jaccard below ${SPLIT_HALF_MINIMUM}: selection noise; run more trials (\`memorize train --trials <more>\`) or raise --theta-infl`);
  }
  if (top.length > 0) {
    const rows = top.map((p) => [String(p.trainIndex), String(p.testIndex), String(p.label), fixed(p.mem), fixed(p.infl), fixed(p.se), `[${fixed(p.low)}, ${fixed(p.high)}]`]);
    lines.push(...table(['train', 'test', 'label', 'mem', 'infl', 'se', '95% interval'], rows).split('\n').map((l) => `  ${l}`));
  }
  return lines.join('\n');
}

export function formatCompare(r: CompareResult): string {
  const [a, b] = r.sides;
  const name = (s: CompareResult['sides'][number]): string => `${s.runDir} (${s.model}${s.selection === 'all' ? '' : `, ${s.selection} trials`})`;
  const at = r.rows.find((row) => row.threshold === 0.15);
  const c = r.correlations;
  const lines = [
    `compare: ${r.mode === 'split-half' ? `split-half of ${a.runDir} (even against odd trials)` : `${name(a)} against ${name(b)}`}`,
    `  A: ${a.trials} trials, mean test accuracy ${fixed(a.meanTestAccuracy)}, ${a.memorized} examples with mem >= 0.25`,
    `  B: ${b.trials} trials, mean test accuracy ${fixed(b.meanTestAccuracy)}, ${b.memorized} examples with mem >= 0.25`,
    `  J_infl(0.15) = ${fixed(at?.infl.jaccard ?? NaN)} (${at?.infl.countA} and ${at?.infl.countB} pairs${r.memCondition === null ? ', no mem condition' : `, mem >= ${r.memCondition}`}); the paper chose theta_infl = 0.15 for J >= 0.7 at 2000 trials`,
    `  Pearson mem ${fixed(c.memAll)} (all), ${fixed(c.memMemorized)} (memorized); infl ${fixed(c.inflAll)} (all same-class pairs), ${fixed(c.inflMemorized)} (pairs of memorized examples)`,
  ];
  const rows = r.rows.map((row) => [row.threshold.toFixed(2), fixed(row.mem.jaccard), fixed(row.mem.meanAbsDifference), String(row.mem.countA), String(row.mem.countB), fixed(row.infl.jaccard), fixed(row.infl.meanAbsDifference), String(row.infl.countA), String(row.infl.countB)]);
  lines.push(...table(['theta', 'J_mem', 'D_mem', 'mem A', 'mem B', 'J_infl', 'D_infl', 'pairs A', 'pairs B'], rows).split('\n').map((l) => `  ${l}`));
  lines.push(`  written: ${r.outPath}`);
  return lines.join('\n');
}

const plusMinus = (a: { mean: number; sd: number }): string => `${fixed(a.mean)} ± ${fixed(a.sd)}`;

export function formatAblate(r: AblateResult): string {
  const lines = [`ablate: ${r.runs} models per setting on S minus the removed examples (n = ${r.n}) from ${r.source}`, `  full set: test accuracy ${plusMinus(r.full)}`];
  if (r.rows) {
    const rows = r.rows.map((row) => [row.threshold.toFixed(2), String(row.removed), fixed(row.fractionLeft), plusMinus(row.highMem), plusMinus(row.random), fixed(row.random.mean - row.highMem.mean)]);
    lines.push(...table(['mem >=', 'removed', 'left', 'acc, high-mem removed', 'acc, random removed', 'random - high-mem'], rows).split('\n').map((l) => `  ${l}`));
  }
  if (r.pairs) {
    const p = r.pairs;
    lines.push(
      `  removed S_h: ${p.trainRemoved} training examples of the selected pairs; S'_h: their ${p.testInfluenced} test partners`,
      `  test accuracy, all:   full ${plusMinus(p.overall.full)}, without S_h ${plusMinus(p.overall.withoutSh)}, without ${p.trainRemoved} random ${plusMinus(p.overall.randomRemoved)}`,
      `  test accuracy, S'_h:  full ${plusMinus(p.onInfluenced.full)}, without S_h ${plusMinus(p.onInfluenced.withoutSh)}, without ${p.trainRemoved} random ${plusMinus(p.onInfluenced.randomRemoved)}`,
      `  the S'_h drop contributes ${fixed(p.contribution * 100, 2)} points of the overall drop of ${fixed((p.overall.full.mean - p.overall.withoutSh.mean) * 100, 2)}`,
    );
  }
  lines.push(`  written: ${r.outPath}`);
  return lines.join('\n');
}

export function formatLoo(r: LooResult): string {
  const rows = r.rows.map((row) => [String(row.index), `${fixed(row.mem)} ± ${fixed(row.memSe)}`, `${fixed(row.loo)} ± ${fixed(row.looSe)}`]);
  return [
    `loo: ${r.rows.length} examples, ${r.runs} model(s) on the full set and ${r.runs} without each; Pearson r of mem_m and LOO mem ${fixed(r.correlation)}`,
    ...table(['train', 'mem_m ± se', 'LOO mem ± se'], rows).split('\n').map((l) => `  ${l}`),
    `  written: ${r.outPath}`,
  ].join('\n');
}

export function formatStatus(s: RunStatus): string {
  const rate = Number.isFinite(s.trialsPerMinute) ? `${fixed(s.trialsPerMinute, 1)} trials/min (trial files of the last hour)` : 'rate unknown (fewer than 2 trial files)';
  const eta = s.etaSeconds === 0 ? 'complete' : Number.isFinite(s.etaSeconds) ? `ETA ${formatDuration(s.etaSeconds)} at that rate` : 'ETA unknown';
  const lines = [
    `status: ${s.finished} of ${s.requested} trials finished; ${rate}; ${eta}`,
    `  missing: ${s.missing === '' ? 'none' : s.missing}`,
    s.claims.length === 0 ? '  in flight: none (no claims)' : `  in flight: ${s.claims.length} claimed trial(s)`,
  ];
  if (s.claims.length > 0) {
    const rows = s.claims.map((c) => [String(c.trial), describeHolder(c.holder), formatDuration(c.ageSeconds), `${Math.round(c.renewedSecondsAgo)} s ago`, c.stale ? 'stale: the next train takes it over' : 'live']);
    lines.push(table(['trial', 'holder', 'age', 'renewed', 'state'], rows).replace(/^/gm, '    '));
  }
  lines.push(`  failures: ${s.failures.length === 0 ? 'none' : s.failures.map((f) => `trial ${f.trial}: ${f.failure}`).join('; ')}${s.retries > 0 ? `; ${s.retries} trial(s) retried after a crashed or stalled worker` : ''}`);
  return lines.join('\n');
}

export function formatReport(r: ReportResult): string {
  const lines = [`report: ${r.path} (${fixed(r.bytes / 1e6, 1)} MB, ${fixed(r.seconds, 1)} s); open it in a browser, it needs no network`];
  if (r.missing.length > 0) lines.push(`  not in it yet (the report names the command for each): ${r.missing.map((m) => m.split(':')[0]).join(', ')}`);
  return lines.join('\n');
}
