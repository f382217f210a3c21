// Everything random about trial k comes from (run seed, k) through seedrandom, so any trial runs
// anywhere, in any order, any number of times, with the same subset and initialisation.
import seedrandom from 'seedrandom';

/** A seeded uniform [0, 1) generator for one named purpose. */
export function makeRandom(...key: (string | number)[]): () => number {
  return seedrandom(key.join(':'));
}

/** The non-zero uint32 seed of trial k (tfjs treats 0 as "unseeded"). */
export function trialSeed(runSeed: number, trial: number): number {
  const seed = seedrandom(`memorize:trial:${runSeed}:${trial}`).int32() >>> 0;
  return seed === 0 ? 1 : seed;
}

/** Trial k's subset: m of n indices, uniform among all subsets of size m, sorted ascending. */
export function sampleSubset(runSeed: number, trial: number, n: number, m: number): Int32Array {
  const random = makeRandom('memorize', 'subset', runSeed, trial);
  const pool = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < m; i++) {
    // Partial Fisher-Yates: position i receives a uniform pick from the n - i remaining.
    const j = i + Math.floor(random() * (n - i));
    const picked = pool[j]!;
    pool[j] = pool[i]!;
    pool[i] = picked;
  }
  return pool.subarray(0, m).sort();
}

/** The training indices 0..n-1 without `exclude` (ascending): the pool subsets are drawn from. */
export function remainingIndices(n: number, exclude: readonly number[]): Int32Array {
  const removed = new Set(exclude);
  return Int32Array.from({ length: n }, (_, i) => i).filter((i) => !removed.has(i));
}

/** Trial k's subset of `pool` (ascending indices): the subset of sampleSubset mapped onto the pool, so with
 * nothing excluded it is sampleSubset's. */
export function sampleSubsetOf(runSeed: number, trial: number, pool: Int32Array, m: number): Int32Array {
  return sampleSubset(runSeed, trial, pool.length, m).map((p) => pool[p]!);
}

/** A uniformly shuffled copy of `values`. */
export function shuffled(values: Int32Array, random: () => number): Int32Array {
  const out = values.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const v = out[j]!;
    out[j] = out[i]!;
    out[i] = v;
  }
  return out;
}

/** Membership mask (1 = in the subset) of length n. */
export function membershipMask(subset: Int32Array, n: number): Uint8Array {
  const mask = new Uint8Array(n);
  for (const i of subset) mask[i] = 1;
  return mask;
}

/** The non-zero uint32 seed of the linear probe's representation network: one per run, shared by all trials. */
export function representationSeed(runSeed: number): number {
  const seed = seedrandom(`memorize:representation:${runSeed}`).int32() >>> 0;
  return seed === 0 ? 1 : seed;
}
