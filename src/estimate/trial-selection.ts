// Which finished trials an analysis uses: a range of trial indices (`estimate --trials FIRST:LAST`), and
// the two halves of a split-half comparison (even against odd trial indices).
import { UsageError } from '../errors.js';

/** Trials k with first <= k <= last. */
export interface TrialRange {
  first: number;
  last: number;
}

export type TrialFilter = (trial: number) => boolean;

/** Parses FIRST:LAST (trial indices, both included), as `--trials` on `estimate` takes it. */
export function parseTrialRange(flag: string, text: string): TrialRange {
  const match = /^(\d+):(\d+)$/.exec(text);
  const first = Number(match?.[1]);
  const last = Number(match?.[2]);
  if (!match || first > last) throw new UsageError(`${flag} must be FIRST:LAST, trial indices with FIRST <= LAST (e.g. 0:199 for the first 200 trials), got ${JSON.stringify(text)}`);
  return { first, last };
}

export function formatTrialRange(range: TrialRange | undefined): string {
  return range ? `${range.first}:${range.last}` : 'all';
}

/** The trials in `range` (every trial without one). */
export function inRange(range: TrialRange | undefined): TrialFilter {
  return range ? (k) => k >= range.first && k <= range.last : () => true;
}

/** The two halves of a split-half comparison within `filter`: even and odd trial indices. */
export function splitHalves(filter: TrialFilter): [TrialFilter, TrialFilter] {
  return [(k) => filter(k) && k % 2 === 0, (k) => filter(k) && k % 2 === 1];
}
