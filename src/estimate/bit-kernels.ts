// The WebAssembly bit-matrix kernels (bit-kernels.wat, assembled into bit-kernels.wasm by the build) behind a
// typed interface: SIMD popcounts of rows copied into an instance's memory, and the 32 x 32 transposes that
// turn up to 512 trials' bitmaps into words of every example's row.
import { readFileSync } from 'node:fs';
import type { BitView } from '../store/trial-file.js';

const wasm = new WebAssembly.Module(readFileSync(new URL('./bit-kernels.wasm', import.meta.url)));

interface KernelExports {
  memory: WebAssembly.Memory;
  popcountRows(a: number, b: number, rows: number, stride: number, chunks: number, out: number): void;
  blockCounts(a: number, na: number, b: number, nb: number, stride: number, chunks: number, out: number): void;
  maskRows(a: number, rows: number, stride: number, chunks: number, mask: number): void;
  transposeStrip(src: number, count: number, words: number, w0: number, w1: number, dst: number, pitch: number, scratch: number): void;
}

/** blockCounts' carry-save path counts its eights in i16 lanes, at most 16 per 8 chunks: exact up to 4095 groups
 * of 8, that is 32,767 chunks of 128 trials (4,194,176 trials). */
export const MAX_CHUNKS = 32767;

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

/** Most bitmaps a BitmapTransposer holds: 512 trials, 16 words (one 64-byte cache line) of every row. */
export const TRANSPOSE_GROUP = 512;

/** Source words (32 rows) per transposeStrip call: the strip's words stay in the first-level cache. */
export const STRIP_WORDS = 8;

/** Up to 512 trial-major bitmaps of `rows` bits, copied into kernel memory as they come (so their buffers may be
 * reused), then read back example-major, a strip of rows at a time. */
export class BitmapTransposer {
  private readonly kernel: KernelExports;
  readonly words: number; // uint32 words of each bitmap
  private readonly dst: number; // byte address of a strip's rows
  private readonly scratch: number;
  private bitmaps: Uint8Array; // [512, words * 4] bytes of kernel memory
  count = 0;

  constructor(readonly rows: number) {
    this.kernel = new WebAssembly.Instance(wasm).exports as unknown as KernelExports;
    this.words = Math.ceil(rows / 32);
    this.dst = aligned(TRANSPOSE_GROUP * this.words * 4);
    this.scratch = this.dst + STRIP_WORDS * 32 * (TRANSPOSE_GROUP / 32) * 4;
    reserve(this.kernel.memory, this.scratch + 512);
    this.bitmaps = new Uint8Array(this.kernel.memory.buffer, 0, this.dst);
  }

  /** Copies bits 0..rows-1 of `view` in as bitmap `count`. */
  add(view: BitView): void {
    if (this.count === TRANSPOSE_GROUP) throw new Error(`BitmapTransposer holds at most ${TRANSPOSE_GROUP} bitmaps`);
    const bytes = this.words * 4;
    const at = this.count++ * bytes;
    if (view.bitOffset % 8 === 0) {
      const start = view.bitOffset >>> 3;
      const part = view.bytes.subarray(start, Math.min(view.bytes.length, start + bytes));
      this.bitmaps.set(part, at);
      this.bitmaps.fill(0, at + part.length, at + bytes);
    } else {
      const target = new Uint32Array(this.kernel.memory.buffer, at, this.words);
      for (let w = 0; w < this.words; w++) target[w] = readWord(view.bytes, view.bitOffset + 32 * w);
    }
  }

  /** Words per row of a strip: the bitmaps' groups of 32, rounded up to whole v128. */
  get pitch(): number {
    return Math.ceil(this.count / 128) * 4;
  }

  /** Rows 32 w0 .. 32 w1 - 1 (w1 - w0 <= STRIP_WORDS) as `pitch` words each: bit b of word [(r - 32 w0) * pitch + g]
   * is bit r of bitmap 32 g + b (0 past `count`). A view of kernel memory, valid until the next call. */
  strip(w0: number, w1: number): Uint32Array {
    if (w1 - w0 > STRIP_WORDS) throw new Error(`BitmapTransposer.strip: ${w1 - w0} words, at most ${STRIP_WORDS}`);
    this.kernel.transposeStrip(0, this.count, this.words, w0, w1, this.dst, this.pitch, this.scratch);
    return new Uint32Array(this.kernel.memory.buffer, this.dst, (w1 - w0) * 32 * this.pitch);
  }
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
