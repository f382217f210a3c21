// Example-major bit matrices over trials: row i holds bit k = "true in trial k" for every trial, 32 trials per
// uint32 word, each row padded to whole v128 (4 words) for the SIMD kernels (bit-kernels.wat) and kept on a
// SharedArrayBuffer so worker threads read it in place. Conditional counts are popcounts of ANDed rows.
import type { BitView } from '../store/trial-file.js';
import { transposeBitmaps } from './bit-kernels.js';

/** uint32 words per row for `trials` trials: whole v128 chunks of 128 trials. */
export function rowStride(trials: number): number {
  return Math.ceil(trials / 128) * 4;
}

export class TrialBits {
  readonly stride: number; // uint32 words per row, a multiple of 4
  readonly data: Uint32Array; // [rows, stride], on a SharedArrayBuffer

  constructor(
    readonly rows: number,
    readonly trials: number,
    data?: Uint32Array,
  ) {
    this.stride = rowStride(trials);
    this.data = data ?? new Uint32Array(new SharedArrayBuffer(rows * this.stride * 4));
    if (this.data.length !== rows * this.stride) throw new Error(`TrialBits: ${this.data.length} words for ${rows} rows of ${this.stride}`);
  }

  /** A copy with room for `trials` trials (at least as many as this one holds), the same bits in the same slots. */
  widened(trials: number): TrialBits {
    const wide = new TrialBits(this.rows, trials);
    for (let r = 0; r < this.rows; r++) wide.data.set(this.data.subarray(r * this.stride, (r + 1) * this.stride), r * wide.stride);
    return wide;
  }

  /** Writes trials firstSlot, firstSlot + 1, ... (at most 128) from their packed bitmaps: 32 x 32 transposes
   * (bit-kernels.wat) turn 32 trials' words into 32 rows' words, and each row gets its (up to 4) words at once. */
  setTrials(firstSlot: number, views: readonly BitView[]): void {
    const word = firstSlot >>> 5;
    const shift = firstSlot & 31;
    const { words, groups } = transposeBitmaps(views, this.rows);
    const data = this.data;
    const stride = this.stride;
    const rows = this.rows;
    // Branch-free inner loops (a test inside them costs V8 4x); |= stores int32, which a Uint32Array keeps bit for bit.
    if (shift === 0) {
      for (let i = 0, at = word; i < rows; i++, at += stride) for (let g = 0; g < groups; g++) data[at + g]! |= words[i * groups + g]!;
      return;
    }
    // Not at a word boundary: group g's high trials spill into the next word, as far as the last word with trials.
    const spills = Math.min(groups, ((firstSlot + views.length - 1) >>> 5) - word);
    for (let i = 0, at = word; i < rows; i++, at += stride) {
      for (let g = 0; g < groups; g++) data[at + g]! |= words[i * groups + g]! << shift;
      for (let g = 0; g < spills; g++) data[at + g + 1]! |= words[i * groups + g]! >>> (32 - shift);
    }
  }
}
