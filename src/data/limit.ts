// --limit-train / --limit-test: a stratified subset of a loaded split (per class, in proportion, exactly N in
// all), drawn with a fixed seed that does not depend on the run seed, so runs with different seeds (the
// paper's consistency comparisons) see the same examples. The fingerprint changes with the limits.
import { createHash } from 'node:crypto';
import seedrandom from 'seedrandom';
import { UsageError } from '../errors.js';
import type { Dataset, Split } from './types.js';

/** Bump when the selection below changes for the same inputs (it is part of the fingerprint). */
const METHOD = 'stratified/1';

export interface Limits {
  train: number | null; // examples to keep, null = all
  test: number | null;
}

/** How many of each class to keep: count * size / total, floored, then one more for the classes with the
 * largest remainders (ties to the lower class) until the total is exactly `size`. */
export function classQuotas(counts: readonly number[], size: number): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  const exact = counts.map((c) => (c * size) / total);
  const quotas = exact.map(Math.floor);
  const byRemainder = exact.map((e, k) => ({ k, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.k - b.k);
  for (let i = 0, missing = size - quotas.reduce((a, b) => a + b, 0); i < missing; i++) quotas[byRemainder[i]!.k]!++;
  return quotas;
}

/** Ascending indices of a stratified random subset of `size` examples with these labels. */
export function stratifiedIndices(labels: Int32Array, size: number, random: () => number): Int32Array {
  const byClass = new Map<number, number[]>();
  labels.forEach((label, i) => {
    const members = byClass.get(label);
    if (members) members.push(i);
    else byClass.set(label, [i]);
  });
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const quotas = classQuotas(classes.map((c) => byClass.get(c)!.length), size);
  const chosen: number[] = [];
  classes.forEach((c, k) => {
    const members = byClass.get(c)!;
    for (let i = 0; i < quotas[k]!; i++) {
      // Partial Fisher-Yates within the class.
      const j = i + Math.floor(random() * (members.length - i));
      [members[i], members[j]] = [members[j]!, members[i]!];
      chosen.push(members[i]!);
    }
  });
  return Int32Array.from(chosen).sort();
}

/** The examples `indices` of a split, with whatever per-example columns it has. */
export function selectExamples(split: Split, indices: Int32Array): Split {
  const size = split.images.length / split.labels.length; // pixels per image
  const images = new Uint8Array(indices.length * size);
  indices.forEach((i, r) => images.set(split.images.subarray(i * size, (i + 1) * size), r * size));
  const pick = (column: Int32Array): Int32Array => Int32Array.from(indices, (i) => column[i]!);
  return {
    images,
    labels: pick(split.labels),
    ...(split.subpopulations && { subpopulations: pick(split.subpopulations) }),
    ...(split.coarseLabels && { coarseLabels: pick(split.coarseLabels) }),
  };
}

function limitSplit(dataset: Dataset, which: 'train' | 'test', size: number | null): Split {
  const split = dataset[which];
  if (size === null) return split;
  const available = split.labels.length;
  const flag = which === 'train' ? '--limit-train' : '--limit-test';
  if (size > available) {
    throw new UsageError(`${flag} ${size} is more than the ${available} ${which} examples of ${dataset.name}; use at most ${available}, or leave it out for all`);
  }
  return selectExamples(split, stratifiedIndices(split.labels, size, seedrandom(`memorize:limit:${METHOD}:${which}:${size}`)));
}

/** The data set cut down to the limits, with a fingerprint of (source fingerprint, limits); unchanged without limits. */
export function limitDataset(dataset: Dataset, limits: Limits): Dataset {
  if (limits.train === null && limits.test === null) return dataset;
  const fingerprint = createHash('sha256').update(JSON.stringify({ source: dataset.fingerprint, method: METHOD, ...limits })).digest('hex');
  return { ...dataset, train: limitSplit(dataset, 'train', limits.train), test: limitSplit(dataset, 'test', limits.test), fingerprint };
}
