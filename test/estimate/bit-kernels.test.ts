// PopcountKernel.countPairs (blockCounts: scalar below 56 chunks, carry-save adders from 56 on) against a plain
// JavaScript popcount, over the edges of its blocking (1-9 rows each side), chunk counts around its groups of 8
// and its switch, random and all-ones rows, up to MAX_CHUNKS (its i16 counters' bound).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_CHUNKS, PopcountKernel } from '../../src/estimate/bit-kernels.js';
import { seeded } from '../helpers.js';

function popcount32(word: number): number {
  let count = 0;
  for (let x = word >>> 0; x !== 0; x >>>= 1) count += x & 1;
  return count;
}

/** popcount(a_i AND b_j) for every pair, [na, nb], word by word. */
function referenceCounts(a: Uint32Array, na: number, b: Uint32Array, nb: number, stride: number): Int32Array {
  const counts = new Int32Array(na * nb);
  for (let i = 0; i < na; i++) {
    for (let j = 0; j < nb; j++) {
      let count = 0;
      for (let w = 0; w < stride; w++) count += popcount32(a[i * stride + w]! & b[j * stride + w]!);
      counts[i * nb + j] = count;
    }
  }
  return counts;
}

/** `rows` rows of `stride` words, each bit set with a probability drawn per row (sparse to dense). */
function randomRows(rows: number, stride: number, random: () => number): Uint32Array {
  const words = new Uint32Array(rows * stride);
  for (let r = 0; r < rows; r++) {
    const density = random();
    for (let w = 0; w < stride; w++) {
      let word = 0;
      for (let bit = 0; bit < 32; bit++) if (random() < density) word |= 1 << bit;
      words[r * stride + w] = word >>> 0;
    }
  }
  return words;
}

const allRows = (rows: number): Int32Array => Int32Array.from({ length: rows }, (_, r) => r);

/** countPairs of a against b through one kernel, rows gathered in reverse order (a gather, not a copy). */
function kernelCounts(kernel: PopcountKernel, a: Uint32Array, na: number, b: Uint32Array, nb: number): Int32Array {
  kernel.reset();
  const reversed = (rows: number) => allRows(rows).reverse();
  const counts = kernel.countPairs(kernel.gatherRows(a, reversed(na)), kernel.gatherRows(b, reversed(nb)));
  const ordered = new Int32Array(na * nb); // back to a's and b's own row order
  for (let i = 0; i < na; i++) for (let j = 0; j < nb; j++) ordered[i * nb + j] = counts[(na - 1 - i) * nb + (nb - 1 - j)]!;
  return ordered;
}

const CHUNK_COUNTS = [...Array.from({ length: 40 }, (_, c) => c + 1), 55, 56, 57, 63, 64, 65, 125, 257];

test('countPairs equals a plain popcount for 1-9 rows against 1-9, over 1-40, 55-57, 63-65, 125 and 257 chunks', () => {
  const random = seeded('bit-kernels');
  for (const chunks of CHUNK_COUNTS) {
    const stride = chunks * 4;
    const kernel = new PopcountKernel(stride);
    const a = randomRows(9, stride, random);
    const b = randomRows(9, stride, random);
    for (let na = 1; na <= 9; na++) {
      for (let nb = 1; nb <= 9; nb++) {
        assert.deepEqual(kernelCounts(kernel, a, na, b, nb), referenceCounts(a, na, b, nb, stride), `${na} x ${nb} rows, ${chunks} chunks`);
      }
    }
  }
});

test('countPairs counts all-ones rows exactly, up to MAX_CHUNKS chunks, and rejects longer rows', () => {
  for (const chunks of [1, 8, 40, 55, 56, 64, 257, MAX_CHUNKS]) {
    const stride = chunks * 4;
    const ones = new Uint32Array(3 * stride).fill(0xffffffff);
    const counts = kernelCounts(new PopcountKernel(stride), ones, 3, ones, 3);
    assert.deepEqual([...counts], new Array<number>(9).fill(chunks * 128), `${chunks} chunks`);
  }
  assert.equal(MAX_CHUNKS * 128, 4_194_176);
  assert.throws(() => new PopcountKernel((MAX_CHUNKS + 1) * 4), /the kernels count up to 4194176/);
});
