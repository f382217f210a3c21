// probe-representations.arrow: computed once, written only if absent, read back by everyone, checked on read.
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readOrCreateRepresentations, type Representations } from '../../src/store/representations-file.js';
import { rejectsUsage, tempDir } from '../helpers.js';

const sizes = { n: 3, nTest: 2 };
const made = (offset: number): Representations => ({ dim: 4, train: Float32Array.from({ length: 12 }, (_, i) => i + offset), test: Float32Array.from({ length: 8 }, (_, i) => -i - offset) });

test('computed once and then read back: the first writer wins, later processes never compute', async () => {
  const path = join(tempDir(), 'probe-representations.arrow');
  let computed = 0;
  const first = await readOrCreateRepresentations(path, 'hash', sizes, () => (computed++, made(0)));
  assert.deepEqual(first, made(0));
  const bytes = readFileSync(path);
  const again = await readOrCreateRepresentations(path, 'hash', sizes, () => (computed++, made(100)));
  assert.equal(computed, 1, 'not computed again');
  assert.deepEqual(Array.from(again.train), Array.from(made(0).train));
  assert.deepEqual(Array.from(again.test), Array.from(made(0).test));
  assert.equal(again.dim, 4);
  assert.deepEqual(readFileSync(path), bytes, 'the file is not rewritten');
});

test('two processes racing: the loser uses the winner\'s representations', async () => {
  const dir = tempDir();
  const path = join(dir, 'probe-representations.arrow');
  // The other process finishes while this one computes.
  const mine = await readOrCreateRepresentations(path, 'hash', sizes, () => {
    void readOrCreateRepresentations(path, 'hash', sizes, () => made(7));
    return made(0);
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  const stored = await readOrCreateRepresentations(path, 'hash', sizes, () => assert.fail('not computed'));
  assert.deepEqual(Array.from(mine.train), Array.from(stored.train), 'what this process uses is what is stored');
  assert.ok(statSync(path).size > 0);
});

test('a file from another config, of other sizes, or not Arrow is refused with a one-line error', async () => {
  const path = join(tempDir(), 'probe-representations.arrow');
  await readOrCreateRepresentations(path, 'hash', sizes, () => made(0));
  await rejectsUsage(readOrCreateRepresentations(path, 'other', sizes, () => made(0)), 'was made with another config', 'move it out of the run directory');
  await rejectsUsage(readOrCreateRepresentations(path, 'hash', { n: 4, nTest: 2 }, () => made(0)), 'does not hold 4 + 2 representation rows');
  writeFileSync(path, 'not arrow');
  await rejectsUsage(readOrCreateRepresentations(path, 'hash', sizes, () => made(0)), 'is not an Arrow IPC file');
});
