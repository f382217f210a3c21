// Example-major bit matrices over trials: row i holds bit k = "true in trial k" for every trial, 32 trials per
// uint32 word, each row padded to whole v128 (4 words) for the SIMD kernels (bit-kernels.wat) and kept on a
// SharedArrayBuffer so worker threads read it in place. Conditional counts are popcounts of ANDed rows.
import { STRIP_WORDS, type BitmapTransposer } from './bit-kernels.js';

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

  /** Writes the transposer's bitmaps (at most 512) as trials firstSlot, firstSlot + 1, ...: each strip of rows comes
   * out of the 32 x 32 transposes (bit-kernels.wat) as consecutive words, and each row gets its (up to 17) words at
   * once. The slots before firstSlot in its word are kept; those after the last trial in its word are cleared
   * (stored, not ORed: 2.5x faster), so slots are filled in ascending order. No other word is written (reader
   * workers fill other words of the same rows at once). */
  setTrials(firstSlot: number, bitmaps: BitmapTransposer): void {
    const count = bitmaps.count;
    if (count === 0) return;
    if (bitmaps.rows !== this.rows || firstSlot + count > this.trials) throw new Error(`setTrials: ${count} trials of ${bitmaps.rows} rows at slot ${firstSlot}, the matrix has ${this.trials} of ${this.rows}`);
    const word = firstSlot >>> 5;
    const shift = firstSlot & 31;
    const groups = Math.ceil(count / 32);
    const pitch = bitmaps.pitch;
    // Not at a word boundary: the last group's high trials may spill into one more word.
    const spill = shift !== 0 && ((firstSlot + count - 1) >>> 5) - word === groups;
    const { data, stride, rows } = this;
    for (let w0 = 0; w0 < bitmaps.words; w0 += STRIP_WORDS) {
      const strip = bitmaps.strip(w0, Math.min(bitmaps.words, w0 + STRIP_WORDS));
      const end = Math.min(rows, 32 * (w0 + STRIP_WORDS));
      // Branch-free inner loops (a test inside them costs V8 4x); a Uint32Array keeps the int32 of | and << bit for bit.
      if (shift === 0) {
        for (let i = 32 * w0, at = i * stride + word, from = 0; i < end; i++, at += stride, from += pitch) for (let g = 0; g < groups; g++) data[at + g] = strip[from + g]!;
        continue;
      }
      for (let i = 32 * w0, at = i * stride + word, from = 0; i < end; i++, at += stride, from += pitch) {
        data[at]! |= strip[from]! << shift;
        for (let g = 1; g < groups; g++) data[at + g] = (strip[from + g]! << shift) | (strip[from + g - 1]! >>> (32 - shift));
        if (spill) data[at + groups] = strip[from + groups - 1]! >>> (32 - shift);
      }
    }
  }
}
