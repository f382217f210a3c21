// Tests for the IDX (MNIST / Fashion-MNIST) reader and the data directory lookup, on tiny files in a
// temp directory, plus the real Fashion-MNIST when Debian's dataset-fashion-mnist is installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { readIdxDataset } from '../../src/data/idx.js';
import { DEBIAN_FASHION_MNIST_DIR, dataDirectoryCandidates, findDataDirectory } from '../../src/data/locate.js';
import { rejectsUsage, tempDir } from '../helpers.js';


const pixel = (id: number, p: number): number => (id * 31 + p * 3) & 0xff;

/** An IDX file: magic 0x000008<ndims>, big-endian dims, then the bytes. */
function idx(dims: number[], body: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(0x800 + dims.length, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, body]);
}

function imagesFile(ids: number[]): Buffer {
  const body = new Uint8Array(ids.length * 784);
  ids.forEach((id, i) => {
    for (let p = 0; p < 784; p++) body[i * 784 + p] = pixel(id, p);
  });
  return idx([ids.length, 28, 28], body);
}

const labelsFile = (labels: number[]): Buffer => idx([labels.length], Uint8Array.from(labels));

/** 5 train examples (ids 0..4, labels 3 1 4 1 5) and 3 test (ids 10..12, labels 9 2 6); gzip picks which files are .gz. */
async function writeIdx(dir: string, gzip: (file: string) => boolean = () => false): Promise<void> {
  const files: [string, Buffer][] = [
    ['train-images-idx3-ubyte', imagesFile([0, 1, 2, 3, 4])],
    ['train-labels-idx1-ubyte', labelsFile([3, 1, 4, 1, 5])],
    ['t10k-images-idx3-ubyte', imagesFile([10, 11, 12])],
    ['t10k-labels-idx1-ubyte', labelsFile([9, 2, 6])],
  ];
  for (const [name, bytes] of files) {
    await writeFile(path.join(dir, gzip(name) ? `${name}.gz` : name), gzip(name) ? gzipSync(bytes) : bytes);
  }
}

test('readIdxDataset reads plain IDX files', async () => {
  const dir = tempDir();
  await writeIdx(dir);
  const data = await readIdxDataset(dir, 'mnist');
  assert.equal(data.name, 'mnist');
  assert.deepEqual(data.imageShape, [28, 28, 1]);
  assert.equal(data.numClasses, 10);
  assert.deepEqual(data.train.labels, Int32Array.from([3, 1, 4, 1, 5]));
  assert.deepEqual(data.test.labels, Int32Array.from([9, 2, 6]));
  assert.equal(data.train.images.length, 5 * 784);
  assert.equal(data.test.images.length, 3 * 784);
  for (const [i, id] of [[0, 0], [4, 4]]) {
    for (const p of [0, 1, 28, 400, 783]) assert.equal(data.train.images[i! * 784 + p], pixel(id!, p));
  }
  for (const p of [0, 29, 783]) assert.equal(data.test.images[2 * 784 + p], pixel(12, p));
  assert.match(data.fingerprint, /^[0-9a-f]{64}$/);
});

test('readIdxDataset reads gzipped files, detected by content, with the same fingerprint', async () => {
  const plain = tempDir();
  await writeIdx(plain);
  const gz = tempDir();
  await writeIdx(gz, () => true);
  const mixed = tempDir();
  await writeIdx(mixed, (name) => name.includes('labels'));
  const expected = await readIdxDataset(plain, 'fashion-mnist');
  for (const dir of [gz, mixed]) {
    const data = await readIdxDataset(dir, 'fashion-mnist');
    assert.deepEqual(data, expected);
  }
  // A gzipped file without .gz in its name, and a plain one with it.
  const swapped = tempDir();
  await writeIdx(swapped);
  await writeFile(path.join(swapped, 'train-images-idx3-ubyte'), gzipSync(imagesFile([0, 1, 2, 3, 4])));
  await rm(path.join(swapped, 't10k-labels-idx1-ubyte'));
  await writeFile(path.join(swapped, 't10k-labels-idx1-ubyte.gz'), labelsFile([9, 2, 6]));
  assert.deepEqual(await readIdxDataset(swapped, 'fashion-mnist'), expected);
});

test('readIdxDataset fingerprint changes when a byte changes', async () => {
  const dir = tempDir();
  await writeIdx(dir);
  const before = (await readIdxDataset(dir, 'mnist')).fingerprint;
  const images = imagesFile([10, 11, 12]);
  images[16 + 700] = images[16 + 700]! ^ 0x80;
  await writeFile(path.join(dir, 't10k-images-idx3-ubyte'), images);
  assert.notEqual((await readIdxDataset(dir, 'mnist')).fingerprint, before);
});

test('readIdxDataset rejects truncated, oversized, foreign and corrupt files', async () => {
  const dir = tempDir();
  await writeIdx(dir);
  const file = path.join(dir, 'train-images-idx3-ubyte');
  await writeFile(file, imagesFile([0, 1, 2, 3, 4]).subarray(0, 1000));
  await rejectsUsage(readIdxDataset(dir, 'mnist'), 'train-images-idx3-ubyte', 'truncated');
  await writeFile(file, Buffer.concat([imagesFile([0, 1, 2, 3, 4]), Buffer.from([1, 2])]));
  await rejectsUsage(readIdxDataset(dir, 'mnist'), 'train-images-idx3-ubyte');
  await writeFile(file, Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 2654435761) >>> 24)));
  await rejectsUsage(readIdxDataset(dir, 'mnist'), 'train-images-idx3-ubyte', 'not an IDX image file');
  // A label file where an image file belongs: right format, wrong magic.
  await writeFile(file, labelsFile([3, 1, 4, 1, 5]));
  await rejectsUsage(readIdxDataset(dir, 'mnist'), 'train-images-idx3-ubyte', '0x00000801');
  await writeFile(file, idx([5, 32, 32], new Uint8Array(5 * 1024)));
  await rejectsUsage(readIdxDataset(dir, 'mnist'), 'train-images-idx3-ubyte', '32x32');
  await writeFile(file, Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.alloc(100, 7)]));
  await rejectsUsage(readIdxDataset(dir, 'mnist'), 'train-images-idx3-ubyte', 'gzip');
});

test('readIdxDataset rejects count mismatch and labels out of range', async () => {
  const dir = tempDir();
  await writeIdx(dir);
  await writeFile(path.join(dir, 't10k-labels-idx1-ubyte'), labelsFile([9, 2]));
  await rejectsUsage(readIdxDataset(dir, 'mnist'), 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte');
  await writeFile(path.join(dir, 't10k-labels-idx1-ubyte'), labelsFile([9, 10, 6]));
  await rejectsUsage(readIdxDataset(dir, 'mnist'), 't10k-labels-idx1-ubyte', 'label 10');
});

test('readIdxDataset names missing files and how to get them', async () => {
  const dir = tempDir();
  await writeIdx(dir, (name) => name.startsWith('t10k'));
  await rm(path.join(dir, 't10k-labels-idx1-ubyte.gz'));
  await rejectsUsage(readIdxDataset(dir, 'mnist'), 't10k-labels-idx1-ubyte', dir, '`memorize data fetch mnist`', '--data-dir');
  const empty = tempDir();
  await rejectsUsage(
    readIdxDataset(empty, 'fashion-mnist'),
    'train-images-idx3-ubyte',
    't10k-labels-idx1-ubyte',
    empty,
    'apt-get install dataset-fashion-mnist',
  );
});

test('dataDirectoryCandidates and findDataDirectory', async () => {
  assert.deepEqual(dataDirectoryCandidates('mnist', '/given', { MEMORIZE_DATA: '/root' }), ['/given']);
  assert.deepEqual(dataDirectoryCandidates('mnist', undefined, { MEMORIZE_DATA: '/root' }), ['/root/mnist', '/root']);
  // Without MEMORIZE_DATA: where `memorize data fetch` puts it.
  assert.deepEqual(dataDirectoryCandidates('cifar10', undefined, {}), [path.join(os.homedir(), '.cache', 'memorize', 'cifar10')]);
  assert.deepEqual(dataDirectoryCandidates('fashion-mnist', undefined, { MEMORIZE_DATA: '/r' }), [
    '/r/fashion-mnist',
    '/r',
    DEBIAN_FASHION_MNIST_DIR,
  ]);
  const [empty, full] = [tempDir(), tempDir()];
  await writeIdx(full, (name) => name.includes('images'));
  const required = [['t10k-images-idx3-ubyte', 't10k-images-idx3-ubyte.gz'], ['train-labels-idx1-ubyte']];
  assert.equal(await findDataDirectory([empty, full], required), full);
  assert.equal(await findDataDirectory([empty], required), undefined);
});

const debianFiles = ['train-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
const haveDebian = debianFiles.every((f) => existsSync(path.join(DEBIAN_FASHION_MNIST_DIR, f)));

test('reads the real Fashion-MNIST from Debian', { skip: !haveDebian && 'dataset-fashion-mnist not installed' }, async () => {
  const data = await readIdxDataset(DEBIAN_FASHION_MNIST_DIR, 'fashion-mnist');
  assert.equal(data.train.labels.length, 60000);
  assert.equal(data.test.labels.length, 10000);
  assert.equal(data.train.images.length, 60000 * 784);
  assert.equal(data.test.images.length, 10000 * 784);
  const histogram = (labels: Int32Array): number[] => {
    const counts = new Array<number>(10).fill(0);
    for (const label of labels) counts[label] = counts[label]! + 1;
    return counts;
  };
  assert.deepEqual(histogram(data.train.labels), new Array<number>(10).fill(6000));
  assert.deepEqual(histogram(data.test.labels), new Array<number>(10).fill(1000));
});
