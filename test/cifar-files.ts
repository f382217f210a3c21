// Writes a small long-tailed data set in CIFAR's binary format (CIFAR-10: data_batch_1..5.bin and
// test_batch.bin; CIFAR-100: train.bin and test.bin) for tests and benchmarks that need real files:
// each class is a mixture of subpopulations with Zipf frequencies, each subpopulation a smooth picture
// (a coloured disc on a coloured background), each example its picture plus pixel noise. Seeded.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import seedrandom from 'seedrandom';

export interface CifarLikeOptions {
  variant: 'cifar10' | 'cifar100';
  train: number;
  test: number;
  subpopulationsPerClass: number;
  seed: number;
}

const SIDE = 32;
const PIXELS = SIDE * SIDE;

/** A disc of colour `fg` at (cx, cy) with radius r on background `bg`, as R, G and B planes. */
function picture(random: () => number): Uint8Array {
  const colour = (): number[] => [0, 1, 2].map(() => Math.floor(random() * 256));
  const [bg, fg] = [colour(), colour()];
  const [cx, cy, r] = [8 + random() * 16, 8 + random() * 16, 4 + random() * 8];
  const planes = new Uint8Array(3 * PIXELS);
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const inside = Math.hypot(x - cx, y - cy) < r;
      for (let c = 0; c < 3; c++) planes[c * PIXELS + y * SIDE + x] = (inside ? fg : bg)[c]!;
    }
  }
  return planes;
}

/** Writes the files into `dir` (created); returns the number of classes. */
export function writeCifarLike(dir: string, options: CifarLikeOptions): number {
  const random = seedrandom(`cifar-like:${options.seed}`);
  const classes = options.variant === 'cifar10' ? 10 : 100;
  const labelBytes = options.variant === 'cifar10' ? 1 : 2;
  const subpopulations = Array.from({ length: classes }, () => Array.from({ length: options.subpopulationsPerClass }, () => picture(random)));
  const weights = Array.from({ length: options.subpopulationsPerClass }, (_, s) => (s + 1) ** -1.2);
  const total = weights.reduce((a, b) => a + b, 0);
  const draw = (): number => {
    let u = random() * total;
    for (const [s, w] of weights.entries()) if ((u -= w) < 0) return s;
    return weights.length - 1;
  };
  const records = (count: number): Buffer => {
    const out = Buffer.alloc(count * (labelBytes + 3 * PIXELS));
    for (let k = 0; k < count; k++) {
      const label = k % classes;
      const base = k * (labelBytes + 3 * PIXELS);
      out[base] = options.variant === 'cifar10' ? label : label % 20; // CIFAR-100: coarse, then fine
      out[base + labelBytes - 1] = label;
      const prototype = subpopulations[label]![draw()]!;
      for (let p = 0; p < 3 * PIXELS; p++) out[base + labelBytes + p] = Math.min(255, Math.max(0, prototype[p]! + Math.round((random() - 0.5) * 60)));
    }
    return out;
  };
  mkdirSync(dir, { recursive: true });
  if (options.variant === 'cifar100') {
    writeFileSync(join(dir, 'train.bin'), records(options.train));
    writeFileSync(join(dir, 'test.bin'), records(options.test));
  } else {
    const perBatch = Math.ceil(options.train / 5);
    for (let b = 0; b < 5; b++) writeFileSync(join(dir, `data_batch_${b + 1}.bin`), records(Math.max(0, Math.min(perBatch, options.train - b * perBatch))));
    writeFileSync(join(dir, 'test_batch.bin'), records(options.test));
  }
  return classes;
}
