// The WebAssembly SIMD popcount kernels (popcount.wat, assembled into popcount.wasm by the build) behind a
// typed interface: rows are copied into the instance's memory, counted there, and the counts read back.
import { readFileSync } from 'node:fs';

const wasm = new WebAssembly.Module(readFileSync(new URL('./popcount.wasm', import.meta.url)));

interface KernelExports {
  memory: WebAssembly.Memory;
  popcountRows(a: number, b: number, rows: number, stride: number, chunks: number, out: number): void;
  blockCounts(a: number, na: number, b: number, nb: number, stride: number, chunks: number, out: number): void;
  maskRows(a: number, rows: number, stride: number, chunks: number, mask: number): void;
}

/** blockCounts counts in i16 lanes: at most 16 per chunk, so 4095 chunks of 128 trials. */
export const MAX_CHUNKS = 4095;

/** Bytes of one region of kernel memory, 16-aligned. */
const aligned = (bytes: number): number => Math.ceil(bytes / 16) * 16;

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
    const missing = this.top - this.kernel.memory.buffer.byteLength;
    if (missing > 0) this.kernel.memory.grow(Math.ceil(missing / 65536));
    new Uint8Array(this.kernel.memory.buffer, at, bytes).fill(0);
    return at;
  }

  /** Copies rows `indices` of `data` ([rows, stride] words) into kernel memory, ANDed with `mask` ([stride]) if given. */
  gatherRows(data: Uint32Array, indices: Int32Array, mask?: Uint32Array): KernelRows {
    const at = this.allocate(indices.length * this.stride * 4);
    const target = new Uint32Array(this.kernel.memory.buffer, at, indices.length * this.stride);
    indices.forEach((row, r) => target.set(data.subarray(row * this.stride, (row + 1) * this.stride), r * this.stride));
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
