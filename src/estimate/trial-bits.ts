// Example-major bit matrices over trials: row i holds bit k = "true in trial k" for every trial, 32 trials per
// uint32 word, each row padded to whole v128 (4 words) for the SIMD kernels (popcount.wat) and kept on a
// SharedArrayBuffer so worker threads read it in place. Conditional counts are popcounts of ANDed rows.
import type { BitView } from '../store/trial-file.js';

/** uint32 words per row for `trials` trials: whole v128 chunks of 128 trials. */
export function rowStride(trials: number): number {
  return Math.ceil(trials / 128) * 4;
}

/** 32 bits of a packed LSB-first bitmap from bit `position` on; bits past the buffer read as 0. */
function readWord(bytes: Uint8Array, position: number): number {
  const byte = position >>> 3;
  const shift = position & 7;
  const low = (bytes[byte] ?? 0) | ((bytes[byte + 1] ?? 0) << 8) | ((bytes[byte + 2] ?? 0) << 16) | ((bytes[byte + 3] ?? 0) << 24);
  return shift === 0 ? low >>> 0 : ((low >>> shift) | ((bytes[byte + 4] ?? 0) << (32 - shift))) >>> 0;
}

/** Transposes a 32 x 32 bit matrix in place: bit b of block[a] trades places with bit a of block[b]. */
export function transpose32(block: Uint32Array): void {
  for (let j = 16, m = 0x0000ffff; j !== 0; j >>>= 1, m = (m ^ (m << j)) >>> 0) {
    for (let k = 0; k < 32; k = (k + j + 1) & ~j) {
      const t = ((block[k]! >>> j) ^ block[k + j]!) & m;
      block[k] = (block[k]! ^ (t << j)) >>> 0;
      block[k + j] = (block[k + j]! ^ t) >>> 0;
    }
  }
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

  /** Writes trials firstSlot, firstSlot + 1, ... (at most 32) from their packed bitmaps, 32 rows at a time:
   * one 32 x 32 transpose turns 32 trials' words into 32 rows' words. */
  setTrials(firstSlot: number, views: readonly BitView[]): void {
    if (views.length > 32) throw new Error(`setTrials takes at most 32 trials, got ${views.length}`);
    const word = firstSlot >>> 5;
    const shift = firstSlot & 31;
    const spill = shift + views.length > 32; // the group straddles two words
    const block = new Uint32Array(32);
    // Bitmaps that start on a 4-byte boundary (as Arrow lays them out) are read a word at a time.
    const words = views.map((view) => (view.bitOffset === 0 && view.bytes.byteOffset % 4 === 0 ? new Uint32Array(view.bytes.buffer, view.bytes.byteOffset, view.bytes.length >>> 2) : undefined));
    for (let r0 = 0; r0 < this.rows; r0 += 32) {
      const w = r0 >>> 5;
      for (let b = 0; b < 32; b++) {
        const view = views[b];
        const aligned = words[b];
        block[b] = view === undefined ? 0 : aligned !== undefined && w < aligned.length ? aligned[w]! : readWord(view.bytes, view.bitOffset + r0);
      }
      transpose32(block);
      const end = Math.min(32, this.rows - r0);
      for (let i = 0, at = r0 * this.stride + word; i < end; i++, at += this.stride) {
        const bits = block[i]!;
        this.data[at] = (this.data[at]! | (bits << shift)) >>> 0;
        if (spill) this.data[at + 1] = (this.data[at + 1]! | (bits >>> (32 - shift))) >>> 0;
      }
    }
  }
}
