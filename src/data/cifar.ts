// Reader for the official binary CIFAR-10 / CIFAR-100 distributions (the "binary version" files),
// converting the channel-planar records to [n, 32, 32, 3] images.
import { createHash, type Hash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { findFiles } from './locate.js';
import type { Dataset, Split } from './types.js';

export type CifarVariant = 'cifar10' | 'cifar100';

const PIXELS = 32 * 32;
const IMAGE_BYTES = 3 * PIXELS;

interface CifarSpec {
  title: string;
  folder: string;
  train: string[];
  test: string[];
  /** 1 (label) for CIFAR-10, 2 (coarse, fine) for CIFAR-100. */
  labelBytes: number;
  numClasses: number;
  numCoarse: number;
}

const SPECS: Record<CifarVariant, CifarSpec> = {
  cifar10: {
    title: 'CIFAR-10',
    folder: 'cifar-10-batches-bin',
    train: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`),
    test: ['test_batch.bin'],
    labelBytes: 1,
    numClasses: 10,
    numCoarse: 0,
  },
  cifar100: {
    title: 'CIFAR-100',
    folder: 'cifar-100-binary',
    train: ['train.bin'],
    test: ['test.bin'],
    labelBytes: 2,
    numClasses: 100,
    numCoarse: 20,
  },
};

function howToGet(variant: CifarVariant): string {
  return (
    'download the binary version from https://www.cs.toronto.edu/~kriz/cifar.html, ' +
    `or run \`memorize data fetch ${variant}\`, then pass --data-dir DIR or set MEMORIZE_DATA`
  );
}

/** The files readCifar needs, each with its accepted paths relative to the data directory. */
export function cifarRequiredFiles(variant: CifarVariant): string[][] {
  const spec = SPECS[variant];
  return [...spec.train, ...spec.test].map((name) => [name, path.join(spec.folder, name)]);
}

/** Reads `variant` from `dir` (or its `cifar-10-batches-bin/` / `cifar-100-binary/` folder). */
export async function readCifar(dir: string, variant: CifarVariant): Promise<Dataset> {
  const spec = SPECS[variant];
  const names = [...spec.train, ...spec.test];
  const found = await findFiles(dir, cifarRequiredFiles(variant));
  const missing = names.filter((_, i) => found[i] === undefined);
  if (missing.length > 0) {
    throw new UsageError(
      `${variant}: missing ${missing.join(', ')} in ${dir} (also looked in ${path.join(dir, spec.folder)}); ` +
        howToGet(variant),
    );
  }
  const files = found as string[];
  const hash = createHash('sha256');
  const train = await readSplit(files.slice(0, spec.train.length), variant, hash);
  const test = await readSplit(files.slice(spec.train.length), variant, hash);
  return {
    name: variant,
    imageShape: [32, 32, 3],
    numClasses: spec.numClasses,
    train,
    test,
    fingerprint: hash.digest('hex'),
  };
}

/** Reads and concatenates the record files of one split, feeding their bytes to `hash` in order. */
async function readSplit(files: string[], variant: CifarVariant, hash: Hash): Promise<Split> {
  const spec = SPECS[variant];
  const recordBytes = spec.labelBytes + IMAGE_BYTES;
  const buffers: Buffer[] = [];
  for (const file of files) {
    const bytes = await readFile(file);
    if (bytes.length === 0 || bytes.length % recordBytes !== 0) {
      throw new UsageError(
        `${file}: ${bytes.length} bytes is not a whole number of ${recordBytes}-byte ${spec.title} records ` +
          `(${spec.labelBytes} label byte(s) + ${IMAGE_BYTES} pixels), so it is truncated or not the binary version; ` +
          howToGet(variant),
      );
    }
    hash.update(bytes);
    buffers.push(bytes);
  }
  const n = buffers.reduce((sum, b) => sum + b.length / recordBytes, 0);
  const images = new Uint8Array(n * IMAGE_BYTES);
  const labels = new Int32Array(n);
  const coarseLabels = spec.numCoarse > 0 ? new Int32Array(n) : undefined;
  let example = 0;
  for (const [f, bytes] of buffers.entries()) {
    const count = bytes.length / recordBytes;
    for (let r = 0; r < count; r++, example++) {
      const at = r * recordBytes;
      const fine = bytes[at + spec.labelBytes - 1]!;
      const coarse = spec.labelBytes === 2 ? bytes[at]! : 0;
      if (fine >= spec.numClasses || (coarseLabels !== undefined && coarse >= spec.numCoarse)) {
        const what = coarseLabels ? `fine label ${fine} / coarse label ${coarse}` : `label ${fine}`;
        const want = coarseLabels ? `fine < ${spec.numClasses}, coarse < ${spec.numCoarse}` : `< ${spec.numClasses}`;
        throw new UsageError(
          `${files[f]}: record ${r} has ${what} (expected ${want}), so it is not the ${spec.title} binary version; ` +
            howToGet(variant),
        );
      }
      labels[example] = fine;
      if (coarseLabels) coarseLabels[example] = coarse;
      planarToHwc(bytes, at + spec.labelBytes, images, example * IMAGE_BYTES);
    }
  }
  return coarseLabels ? { images, labels, coarseLabels } : { images, labels };
}

/** Copies one 3x32x32 planar image (R plane, G plane, B plane) to 32x32x3 interleaved. */
function planarToHwc(src: Uint8Array, from: number, dst: Uint8Array, to: number): void {
  for (let p = from, o = to; p < from + PIXELS; p++, o += 3) {
    dst[o] = src[p]!;
    dst[o + 1] = src[p + PIXELS]!;
    dst[o + 2] = src[p + 2 * PIXELS]!;
  }
}
