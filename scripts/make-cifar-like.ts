// Writes a data set in CIFAR-10's binary format (cifar-10-batches-bin/: data_batch_1..5.bin, test_batch.bin)
// of any size, for timing trials at CIFAR's shape where the real files cannot go (the GPU machine has no
// network). Seeded and class-structured, so that a network learns it: each class has a random 32x32x3
// prototype, each image is its class prototype plus uniform noise. Not CIFAR: accuracies mean nothing.
//   node dist/scripts/make-cifar-like.js DIR [--train 50000] [--test 10000] [--seed 1]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import seedrandom from 'seedrandom';

const RECORD = 1 + 3072; // label byte, then the R, G and B planes of 32x32
const CLASSES = 10;

function records(count: number, random: () => number, prototypes: Uint8Array[]): Buffer {
  const out = Buffer.alloc(count * RECORD);
  for (let r = 0; r < count; r++) {
    const label = Math.floor(random() * CLASSES);
    const base = r * RECORD;
    out[base] = label;
    const prototype = prototypes[label]!;
    for (let p = 0; p < 3072; p++) out[base + 1 + p] = Math.min(255, Math.max(0, prototype[p]! + Math.floor((random() - 0.5) * 160)));
  }
  return out;
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { train: { type: 'string', default: '50000' }, test: { type: 'string', default: '10000' }, seed: { type: 'string', default: '1' } } });
const [dir] = positionals;
const train = Number(values.train);
const test = Number(values.test);
if (!dir || !(Number.isSafeInteger(train) && train >= 5) || !(Number.isSafeInteger(test) && test >= 1)) {
  throw new Error('usage: make-cifar-like.js DIR [--train N >= 5] [--test N >= 1] [--seed S]');
}
const random = seedrandom(`make-cifar-like ${values.seed}`);
const prototypes = Array.from({ length: CLASSES }, () => Uint8Array.from({ length: 3072 }, () => 48 + Math.floor(random() * 160)));
const out = join(dir, 'cifar-10-batches-bin');
mkdirSync(out, { recursive: true });
const perBatch = Math.ceil(train / 5);
for (let b = 0; b < 5; b++) writeFileSync(join(out, `data_batch_${b + 1}.bin`), records(Math.max(0, Math.min(perBatch, train - b * perBatch)), random, prototypes));
writeFileSync(join(out, 'test_batch.bin'), records(test, random, prototypes));
console.log(`wrote ${train} train and ${test} test images in CIFAR-10's binary format to ${out}`);
