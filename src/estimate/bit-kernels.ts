// The WebAssembly bit-matrix kernels (bit-kernels.wat, assembled into bit-kernels.wasm by the build) behind a
// typed interface: SIMD popcounts of rows copied into an instance's memory, and the 32 x 32 transposes that
// turn 32 trials' bitmaps into one word of every example's row.
import { readFileSync } from 'node:fs';
import type { BitView } from '../store/trial-file.js';

const wasm = new WebAssembly.Module(readFileSync(new URL('./bit-kernels.wasm', import.meta.url)));

interface KernelExports {
  memory: WebAssembly.Memory;
  popcountRows(a: number, b: number, rows: number, stride: number, chunks: number, out: number): void;
  blockCounts(a: number, na: number, b: number, nb: number, stride: number, chunks: number, out: number): void;
  maskRows(a: number, rows: number, stride: number, chunks: number, mask: number): void;
  transposeGroup(src: number, count: number, words: number, dst: number, pitch: number, scratch: number): void;
}

/** blockCounts counts in i16 lanes: at most 16 per chunk, so 4095 chunks of 128 trials. */
export const MAX_CHUNKS = 4095;

/** Bytes of one region of kernel memory, 16-aligned. */
const aligned = (bytes: number): number => Math.ceil(bytes / 16) * 16;

/** Grows `memory` to hold `bytes`. */
function reserve(memory: WebAssembly.Memory, bytes: number): void {
  const missing = bytes - memory.buffer.byteLength;
  if (missing > 0) memory.grow(Math.ceil(missing / 65536));
}

/** 32 bits of a packed LSB-first bitmap from bit `position` on; bits past the buffer read as 0. */
function readWord(bytes: Uint8Array, position: number): number {
  const byte = position >>> 3;
  const shift = position & 7;
  const low = (bytes[byte] ?? 0) | ((bytes[byte + 1] ?? 0) << 8) | ((bytes[byte + 2] ?? 0) << 16) | ((bytes[byte + 3] ?? 0) << 24);
  return shift === 0 ? low >>> 0 : ((low >>> shift) | ((bytes[byte + 4] ?? 0) << (32 - shift))) >>> 0;
}

let transposer: KernelExports | undefined; // one instance per thread

/** Most bitmaps one transposeBitmaps call takes: one v128 chunk of every row. */
export const TRANSPOSE_GROUP = 128;

/** Bits 0..rows-1 of up to 128 bitmaps as `groups` = ceil(bitmaps / 32) words per row: bit b of word
 * [r * groups + g] is bit r of bitmap 32 g + b. The words are a view of kernel memory, valid until the next call. */
export function transposeBitmaps(views: readonly BitView[], rows: number): { words: Uint32Array; groups: number } {
  if (views.length > TRANSPOSE_GROUP) throw new Error(`transposeBitmaps takes at most ${TRANSPOSE_GROUP} bitmaps, got ${views.length}`);
  transposer ??= new WebAssembly.Instance(wasm).exports as unknown as KernelExports;
  const words = Math.ceil(rows / 32);
  const groups = Math.ceil(views.length / 32);
  const dst = aligned(views.length * words * 4);
  const scratch = dst + aligned(words * 32 * groups * 4);
  reserve(transposer.memory, scratch + 128);
  const src = new Uint8Array(transposer.memory.buffer, 0, views.length * words * 4);
  src.fill(0);
  views.forEach((view, b) => {
    if (view.bitOffset % 8 === 0) {
      const start = view.bitOffset >>> 3;
      src.set(view.bytes.subarray(start, Math.min(view.bytes.length, start + words * 4)), b * words * 4);
    } else {
      const target = new Uint32Array(transposer!.memory.buffer, b * words * 4, words);
      for (let w = 0; w < words; w++) target[w] = readWord(view.bytes, view.bitOffset + 32 * w);
    }
  });
  for (let g = 0; g < groups; g++) transposer.transposeGroup(g * 32 * words * 4, Math.min(32, views.length - 32 * g), words, dst + 4 * g, groups, scratch);
  return { words: new Uint32Array(transposer.memory.buffer, dst, rows * groups), groups };
}

/** Rows of a bit matrix (uint32 words, `stride` per row) placed in kernel memory. */
export interface KernelRows {
  at: number; // byte address
  rows: number;
}

/** One instance of the kernels with a bump allocator over its memory; `reset` frees everything. */
export class PopcountKernel {
  private readonly kernel: KernelExports;
  private top = 0;

  constructor(readonly stride: number) {
    if (stride % 4 !== 0) throw new Error(`PopcountKernel: row stride ${stride} is not whole v128 chunks`);
    if (stride / 4 > MAX_CHUNKS) throw new Error(`PopcountKernel: ${stride * 32} trials, the kernels count up to ${MAX_CHUNKS * 128}`);
    this.kernel = new WebAssembly.Instance(wasm).exports as unknown as KernelExports;
  }

  reset(): void {
    this.top = 0;
  }

  /** Reserves zeroed bytes and returns their address. */
  private allocate(bytes: number): number {
    const at = this.top;
    this.top += aligned(bytes);
    reserve(this.kernel.memory, this.top);
    new Uint8Array(this.kernel.memory.buffer, at, bytes).fill(0);
    return at;
  }

  /** Copies rows `indices` of `data` ([rows, stride] words) into kernel memory, ANDed with `mask` ([stride]) if given. */
  gatherRows(data: Uint32Array, indices: Int32Array, mask?: Uint32Array): KernelRows {
    const at = this.allocate(indices.length * this.stride * 4);
    const target = new Uint32Array(this.kernel.memory.buffer, at, indices.length * this.stride);
    const stride = this.stride;
    // A word loop: 3x faster than a subarray and set per row.
    for (let r = 0, to = 0; r < indices.length; r++) for (let from = indices[r]! * stride, end = from + stride; from < end; ) target[to++] = data[from++]!;
    if (mask) {
      const maskAt = this.allocate(this.stride * 4);
      new Uint32Array(this.kernel.memory.buffer, maskAt, this.stride).set(mask);
      this.kernel.maskRows(at, indices.length, this.stride * 4, this.stride / 4, maskAt);
    }
    return { at, rows: indices.length };
  }

  /** popcount(a_r AND b_r) for every row r (b = a: popcount of a's rows). */
  countRows(a: KernelRows, b: KernelRows = a): Int32Array {
    if (a.rows !== b.rows) throw new Error(`countRows: ${a.rows} rows against ${b.rows}`);
    const out = this.allocate(a.rows * 4);
    this.kernel.popcountRows(a.at, b.at, a.rows, this.stride * 4, this.stride / 4, out);
    return new Int32Array(this.kernel.memory.buffer, out, a.rows).slice();
  }

  /** popcount(a_i AND b_j) for every pair, as [a.rows, b.rows]. */
  countPairs(a: KernelRows, b: KernelRows): Int32Array {
    const out = this.allocate(a.rows * b.rows * 4);
    this.kernel.blockCounts(a.at, a.rows, b.at, b.rows, this.stride * 4, this.stride / 4, out);
    return new Int32Array(this.kernel.memory.buffer, out, a.rows * b.rows).slice();
  }
}
