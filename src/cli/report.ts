// Human-readable summaries of what each command returned, for the terminal.
import type { EstimateSummary } from '../commands/estimate.js';
import type { PairsResult } from '../commands/pairs.js';
import type { TrainSummary } from '../commands/train.js';
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
    ...removedLine(s.removedTemporaries),
    `  run directory: ${s.runDir}`,
  ].join('\n');
}

export function formatEstimate(s: EstimateSummary): string {
  const lines = [
    `estimate: ${s.trials} trials${s.trials < s.requestedTrials ? ` (of ${s.requestedTrials} requested)` : ''}, n = ${s.n} train, n' = ${s.nTest} test; mean test accuracy ${fixed(s.meanTestAccuracy)}`,
    `  mean mem ${fixed(s.meanMem)}; ${s.memorizedAtQuarter} examples with mem >= 0.25`,
    `  influence.arrow: ${s.influencePairs} same-class pairs${s.influenceFloor === null ? '' : ` with infl >= ${s.influenceFloor}`}`,
    ...removedLine(s.removedTemporaries),
  ];
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
  if (top.length > 0) {
    const rows = top.map((p) => [String(p.trainIndex), String(p.testIndex), String(p.label), fixed(p.mem), fixed(p.infl), fixed(p.se)]);
    lines.push(...table(['train', 'test', 'label', 'mem', 'infl', 'se'], rows).split('\n').map((l) => `  ${l}`));
  }
  return lines.join('\n');
}
