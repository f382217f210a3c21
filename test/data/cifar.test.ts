// Tests for the CIFAR binary reader on tiny record files written into a temp directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readCifar } from '../../src/data/cifar.js';
import { rejectsUsage, tempDir } from '../helpers.js';

/** Pixel value of channel c at pixel p (= y*32+x) of example `id`. */
const pixel = (id: number, c: number, p: number): number => (id * 37 + c * 85 + p * 7) & 0xff;

/** One record: the label bytes, then the R, G and B planes. */
function record(id: number, labelBytes: number[]): Buffer {
  const out = Buffer.alloc(labelBytes.length + 3072);
  out.set(labelBytes);
  for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) out[labelBytes.length + c * 1024 + p] = pixel(id, c, p);
  return out;
}


/** CIFAR-10: batches of 1, 2, 1, 1, 1 examples (ids 0..5, label = id), test ids 10..12 with labels 9, 0, 3. */
async function writeCifar10(dir: string): Promise<void> {
  const sizes = [1, 2, 1, 1, 1];
  let id = 0;
  for (const [i, size] of sizes.entries()) {
    const records = Array.from({ length: size }, () => record(id, [id++]));
    await writeFile(path.join(dir, `data_batch_${i + 1}.bin`), Buffer.concat(records));
  }
  await writeFile(path.join(dir, 'test_batch.bin'), Buffer.concat([record(10, [9]), record(11, [0]), record(12, [3])]));
}

/** CIFAR-100: 5 train examples (fine 99, 0, 42, 7, 63; coarse 19, 0, 5, 3, 11), 3 test. */
async function writeCifar100(dir: string): Promise<void> {
  const fine = [99, 0, 42, 7, 63];
  const coarse = [19, 0, 5, 3, 11];
  await writeFile(path.join(dir, 'train.bin'), Buffer.concat(fine.map((f, i) => record(i, [coarse[i]!, f]))));
  await writeFile(path.join(dir, 'test.bin'), Buffer.concat([record(20, [1, 2]), record(21, [4, 17]), record(22, [18, 90])]));
}

/** Asserts `promise` rejects with a one-line UsageError containing every one of `parts`. */
/** Checks pixels of example `index` (written as `id`) at several (y, x, c), incl. the planar->HWC mapping. */
function assertPixels(images: Uint8Array, index: number, id: number): void {
  for (const [y, x] of [[0, 0], [0, 1], [1, 0], [15, 16], [31, 31]] as const) {
    for (let c = 0; c < 3; c++) {
      assert.equal(images[index * 3072 + (y * 32 + x) * 3 + c], pixel(id, c, y * 32 + x), `example ${index} y${y} x${x} c${c}`);
    }
  }
}

test('readCifar reads CIFAR-10 labels, shapes and HWC pixels', async () => {
  const dir = tempDir();
  await writeCifar10(dir);
  const data = await readCifar(dir, 'cifar10');
  assert.equal(data.name, 'cifar10');
  assert.deepEqual(data.imageShape, [32, 32, 3]);
  assert.equal(data.numClasses, 10);
  assert.deepEqual(data.train.labels, Int32Array.from([0, 1, 2, 3, 4, 5]));
  assert.deepEqual(data.test.labels, Int32Array.from([9, 0, 3]));
  assert.equal(data.train.coarseLabels, undefined);
  assert.equal(data.train.images.length, 6 * 3072);
  assert.equal(data.test.images.length, 3 * 3072);
  for (let i = 0; i < 6; i++) assertPixels(data.train.images, i, i);
  for (let i = 0; i < 3; i++) assertPixels(data.test.images, i, 10 + i);
  // Red of pixel 0 and 1, green of pixel 0: planar offsets 0, 1, 1024 land at HWC offsets 0, 3, 1.
  assert.equal(data.train.images[3072 + 0], pixel(1, 0, 0));
  assert.equal(data.train.images[3072 + 3], pixel(1, 0, 1));
  assert.equal(data.train.images[3072 + 1], pixel(1, 1, 0));
  assert.match(data.fingerprint, /^[0-9a-f]{64}$/);
});

test('readCifar reads CIFAR-100 fine and coarse labels', async () => {
  const dir = tempDir();
  await writeCifar100(dir);
  const data = await readCifar(dir, 'cifar100');
  assert.equal(data.name, 'cifar100');
  assert.equal(data.numClasses, 100);
  assert.deepEqual(data.train.labels, Int32Array.from([99, 0, 42, 7, 63]));
  assert.deepEqual(data.train.coarseLabels, Int32Array.from([19, 0, 5, 3, 11]));
  assert.deepEqual(data.test.labels, Int32Array.from([2, 17, 90]));
  assert.deepEqual(data.test.coarseLabels, Int32Array.from([1, 4, 18]));
  for (let i = 0; i < 5; i++) assertPixels(data.train.images, i, i);
  for (let i = 0; i < 3; i++) assertPixels(data.test.images, i, 20 + i);
  assert.match(data.fingerprint, /^[0-9a-f]{64}$/);
});

test('readCifar finds the files in the archive folder', async () => {
  const dir = tempDir();
  await mkdir(path.join(dir, 'cifar-10-batches-bin'));
  await writeCifar10(path.join(dir, 'cifar-10-batches-bin'));
  await mkdir(path.join(dir, 'cifar-100-binary'));
  await writeCifar100(path.join(dir, 'cifar-100-binary'));
  assert.equal((await readCifar(dir, 'cifar10')).train.labels.length, 6);
  assert.equal((await readCifar(dir, 'cifar100')).test.labels.length, 3);
});

test('readCifar fingerprint depends on every byte', async () => {
  const [a, b] = [tempDir(), tempDir()];
  await writeCifar100(a);
  await writeCifar100(b);
  const before = (await readCifar(a, 'cifar100')).fingerprint;
  assert.equal((await readCifar(b, 'cifar100')).fingerprint, before);
  const records = Buffer.concat([record(20, [1, 2]), record(21, [4, 17]), record(22, [18, 90])]);
  records[3074 + 2000] = records[3074 + 2000]! ^ 1;
  await writeFile(path.join(b, 'test.bin'), records);
  assert.notEqual((await readCifar(b, 'cifar100')).fingerprint, before);
});

test('readCifar rejects a truncated file', async () => {
  const dir = tempDir();
  await writeCifar10(dir);
  await writeFile(path.join(dir, 'data_batch_3.bin'), record(2, [2]).subarray(0, 3000));
  await rejectsUsage(readCifar(dir, 'cifar10'), 'data_batch_3.bin', '3073');
});

test('readCifar rejects a foreign file', async () => {
  const dir = tempDir();
  await writeCifar100(dir);
  const random = Buffer.alloc(5000);
  for (let i = 0; i < random.length; i++) random[i] = (i * 2654435761) >>> 24;
  await writeFile(path.join(dir, 'train.bin'), random);
  await rejectsUsage(readCifar(dir, 'cifar100'), 'train.bin', '3074');
});

test('readCifar rejects labels out of range', async () => {
  const dir = tempDir();
  await writeCifar10(dir);
  await writeFile(path.join(dir, 'test_batch.bin'), Buffer.concat([record(10, [9]), record(11, [10])]));
  await rejectsUsage(readCifar(dir, 'cifar10'), 'test_batch.bin', 'label 10');

  const dir100 = tempDir();
  await writeCifar100(dir100);
  await writeFile(path.join(dir100, 'test.bin'), record(20, [1, 100]));
  await rejectsUsage(readCifar(dir100, 'cifar100'), 'test.bin', 'fine label 100');
  await writeFile(path.join(dir100, 'test.bin'), record(20, [20, 5]));
  await rejectsUsage(readCifar(dir100, 'cifar100'), 'test.bin', 'coarse label 20');
});

test('readCifar names missing files, the directory and how to get them', async () => {
  const dir = tempDir();
  await writeCifar10(dir);
  await writeFile(path.join(dir, 'data_batch_4.bin'), '');
  await rejectsUsage(readCifar(dir, 'cifar10'), 'data_batch_4.bin');
  const empty = tempDir();
  await rejectsUsage(
    readCifar(empty, 'cifar100'),
    'train.bin',
    'test.bin',
    empty,
    'https://www.cs.toronto.edu/~kriz/cifar.html',
    '`memorize data fetch cifar100`',
    '--data-dir',
    'MEMORIZE_DATA',
  );
  const partial = tempDir();
  await writeCifar10(partial);
  await rm(path.join(partial, 'data_batch_2.bin'));
  await rejectsUsage(readCifar(partial, 'cifar10'), 'missing data_batch_2.bin in', '`memorize data fetch cifar10`');
});
