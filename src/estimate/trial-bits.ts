// Example-major bit matrices over trials: row i holds bit k = "true in trial k" for every trial,
// 32 trials per uint32 word. Conditional counts then become popcounts of ANDed rows.
import type { BitView } from '../store/trial-file.js';

/** Number of set bits of a 32-bit word. */
export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

export class TrialBits {
  readonly words: number; // uint32 words per row
  readonly data: Uint32Array; // [rows, words]

  constructor(
    readonly rows: number,
    readonly trials: number,
  ) {
    this.words = Math.ceil(trials / 32);
    this.data = new Uint32Array(rows * this.words);
  }

  /** Writes trial `slot`'s bits (one per row) from a packed Arrow bitmap. */
  setTrial(slot: number, view: BitView): void {
    const word = slot >>> 5;
    const bit = (1 << (slot & 31)) >>> 0;
    const { bytes, bitOffset } = view;
    for (let i = 0; i < this.rows; i++) {
      const position = bitOffset + i;
      if ((bytes[position >>> 3]! >>> (position & 7)) & 1) this.data[i * this.words + word]! |= bit;
    }
  }

  /** Number of trials in which row r is true. */
  countRow(r: number): number {
    let count = 0;
    for (let w = r * this.words, end = w + this.words; w < end; w++) count += popcount32(this.data[w]!);
    return count;
  }

  /** Number of trials in which row r of this and row s of `other` are both true. */
  countBoth(r: number, other: TrialBits, s: number): number {
    let count = 0;
    const a = this.data;
    const b = other.data;
    for (let w = 0, i = r * this.words, j = s * other.words; w < this.words; w++, i++, j++) count += popcount32(a[i]! & b[j]!);
    return count;
  }

  /** The first `trials` trials (slots) of every row, as a matrix of its own. */
  prefix(trials: number): TrialBits {
    const out = new TrialBits(this.rows, trials);
    const lastMask = trials % 32 === 0 ? 0xffffffff : (1 << (trials % 32)) - 1;
    for (let r = 0; r < this.rows; r++) {
      for (let w = 0; w < out.words; w++) out.data[r * out.words + w] = this.data[r * this.words + w]!;
      out.data[r * out.words + out.words - 1]! &= lastMask;
    }
    return out;
  }
}
