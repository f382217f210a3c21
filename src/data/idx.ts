// Reader for MNIST-style IDX files (MNIST, Fashion-MNIST), plain or gzipped: 28x28 grey images, 10 classes.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { UsageError } from '../errors.js';
import { DEBIAN_FASHION_MNIST_DIR, findFiles } from './locate.js';
import type { Dataset, Split } from './types.js';

export type IdxName = 'mnist' | 'fashion-mnist';

const gunzipAsync = promisify(gunzip);
const SIDE = 28;
const NUM_CLASSES = 10;
const LABELS_MAGIC = 0x00000801;
const IMAGES_MAGIC = 0x00000803;
/** Train images, train labels, test images, test labels: the read (and fingerprint) order. */
const FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];

function howToGet(name: IdxName): string {
  return name === 'fashion-mnist'
    ? `\`apt-get install dataset-fashion-mnist\` provides them in ${DEBIAN_FASHION_MNIST_DIR}, ` +
        'or download them from https://github.com/zalandoresearch/fashion-mnist; then pass --data-dir DIR or set MEMORIZE_DATA'
    : 'download the four files from https://ossci-datasets.s3.amazonaws.com/mnist/ (mirror of http://yann.lecun.com/exdb/mnist/), ' +
        'or run `memorize data fetch mnist`, then pass --data-dir DIR or set MEMORIZE_DATA';
}

/** The files readIdxDataset needs, each as its accepted names (plain, gzipped). */
export function idxRequiredFiles(): string[][] {
  return FILES.map((file) => [file, `${file}.gz`]);
}

/** Reads MNIST or Fashion-MNIST from the four IDX files in `dir`; the fingerprint hashes their gunzipped bytes. */
export async function readIdxDataset(dir: string, name: IdxName): Promise<Dataset> {
  const found = await findFiles(dir, idxRequiredFiles());
  const missing = FILES.filter((_, i) => found[i] === undefined);
  if (missing.length > 0) {
    throw new UsageError(`${name}: missing ${missing.map((f) => `${f}[.gz]`).join(', ')} in ${dir}; ${howToGet(name)}`);
  }
  const files = found as string[];
  const contents: Buffer[] = [];
  for (const file of files) contents.push(await readMaybeGzip(file, name));
  const hash = createHash('sha256');
  for (const bytes of contents) hash.update(bytes);
  const split = (at: number): Split => {
    const [imagesFile, labelsFile] = [files[at]!, files[at + 1]!];
    const images = parseIdx(imagesFile, contents[at]!, IMAGES_MAGIC, name);
    const labels = parseIdx(labelsFile, contents[at + 1]!, LABELS_MAGIC, name);
    if (images.count !== labels.count) {
      throw new UsageError(
        `${imagesFile} has ${images.count} images but ${labelsFile} has ${labels.count} labels; ` +
          `they must come from the same release: ${howToGet(name)}`,
      );
    }
    const bad = labels.data.findIndex((label) => label >= NUM_CLASSES);
    if (bad >= 0) {
      throw new UsageError(
        `${labelsFile}: label ${labels.data[bad]} at index ${bad} is not below ${NUM_CLASSES}; ${howToGet(name)}`,
      );
    }
    return { images: images.data, labels: Int32Array.from(labels.data) };
  };
  return {
    name,
    imageShape: [SIDE, SIDE, 1],
    numClasses: NUM_CLASSES,
    train: split(0),
    test: split(2),
    fingerprint: hash.digest('hex'),
  };
}

/** The file's bytes, gunzipped when they start with the gzip magic 1f 8b (whatever the file is called). */
async function readMaybeGzip(file: string, name: IdxName): Promise<Buffer> {
  const raw = await readFile(file);
  if (raw.length < 2 || raw[0] !== 0x1f || raw[1] !== 0x8b) return raw;
  try {
    return await gunzipAsync(raw);
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/\s+/g, ' ') : String(error);
    throw new UsageError(`${file}: corrupt gzip data (${reason}); ${howToGet(name)}`);
  }
}

/** Checks an IDX header (magic, dims, byte count) and returns the item count and a view of the data bytes. */
function parseIdx(file: string, bytes: Buffer, magic: number, name: IdxName): { count: number; data: Uint8Array } {
  const kind = magic === IMAGES_MAGIC ? 'image' : 'label';
  const ndims = magic & 0xff;
  const headerBytes = 4 + 4 * ndims;
  const found = bytes.length >= 4 ? `0x${bytes.readUInt32BE(0).toString(16).padStart(8, '0')}` : 'none';
  if (bytes.length >= 4 && bytes.readUInt32BE(0) === magic && bytes.length < headerBytes) {
    throw new UsageError(`${file}: ${bytes.length} bytes, shorter than the ${headerBytes}-byte header of an IDX ${kind} file, so it is truncated; ${howToGet(name)}`);
  }
  if (bytes.length < headerBytes || bytes.readUInt32BE(0) !== magic) {
    throw new UsageError(
      `${file}: not an IDX ${kind} file (magic ${found}, expected 0x${magic.toString(16).padStart(8, '0')}); ${howToGet(name)}`,
    );
  }
  const dims = Array.from({ length: ndims }, (_, i) => bytes.readUInt32BE(4 + 4 * i));
  if (kind === 'image' && (dims[1] !== SIDE || dims[2] !== SIDE)) {
    throw new UsageError(`${file}: images are ${dims[1]}x${dims[2]}, expected ${SIDE}x${SIDE}; ${howToGet(name)}`);
  }
  const expected = headerBytes + dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== expected) {
    throw new UsageError(
      `${file}: ${bytes.length} bytes but its header (${dims.join('x')}) says ${expected}, ` +
        `so it is ${bytes.length < expected ? 'truncated' : 'not a plain IDX file'}; ${howToGet(name)}`,
    );
  }
  return { count: dims[0]!, data: new Uint8Array(bytes.buffer, bytes.byteOffset + headerBytes, expected - headerBytes) };
}
