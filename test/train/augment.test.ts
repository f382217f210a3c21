// Crop-flip augmentation: crops of a known image at known offsets, flips, zero padding, channel order,
// normalization, the draw's ranges, and determinism of a batch given its random stream.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchAugmenter, cropFlipInto, drawCropFlip, normalizationTable, type CropFlip } from '../../src/train/augment.js';
import { seeded } from '../helpers.js';

// A 4x4 grey image whose pixel (y, x) is 10 * (y + 1) + (x + 1): 11 12 13 14 / 21 ... / 41 42 43 44.
const SHAPE = [4, 4, 1] as const;
const IMAGE = Uint8Array.from({ length: 16 }, (_, p) => 10 * (Math.floor(p / 4) + 1) + (p % 4) + 1);

function crop(t: CropFlip, pad = 2): number[][] {
  const out = new Uint8Array(16).fill(255);
  cropFlipInto(IMAGE, 0, SHAPE, pad, t, out, 0);
  return [0, 1, 2, 3].map((y) => Array.from(out.subarray(y * 4, y * 4 + 4)));
}

test('the centre crop (dy = dx = pad) without a flip is the image itself', () => {
  assert.deepEqual(crop({ dy: 2, dx: 2, flip: false }).flat(), Array.from(IMAGE));
});

test('a corner crop shifts the image and fills the padding with zeros', () => {
  // Top-left window of the padded image: two rows and two columns of padding, then the image's top-left 2x2.
  assert.deepEqual(crop({ dy: 0, dx: 0, flip: false }), [
    [0, 0, 0, 0],
    [0, 0, 0, 0],
    [0, 0, 11, 12],
    [0, 0, 21, 22],
  ]);
  // Window starting at padded (4, 3): image rows 2.., columns 1..; the rest is padding.
  assert.deepEqual(crop({ dy: 4, dx: 3, flip: false }), [
    [32, 33, 34, 0],
    [42, 43, 44, 0],
    [0, 0, 0, 0],
    [0, 0, 0, 0],
  ]);
});

test('a flip mirrors each row of the crop', () => {
  assert.deepEqual(crop({ dy: 2, dx: 2, flip: true }), [
    [14, 13, 12, 11],
    [24, 23, 22, 21],
    [34, 33, 32, 31],
    [44, 43, 42, 41],
  ]);
  // Crop first (padded rows 1.., columns 0..), then mirror: the padding moves to the right.
  assert.deepEqual(crop({ dy: 1, dx: 0, flip: true }), [
    [0, 0, 0, 0],
    [12, 11, 0, 0],
    [22, 21, 0, 0],
    [32, 31, 0, 0],
  ]);
});

test('channels stay together and in order under a flip, at any image index', () => {
  // Two 2x2x3 images; pixel (y, x, c) of image i = 100 * i + 10 * (2 * y + x) + c.
  const images = Uint8Array.from({ length: 24 }, (_, p) => 100 * Math.floor(p / 12) + 10 * Math.floor((p % 12) / 3) + (p % 3));
  const out = new Uint8Array(12);
  cropFlipInto(images, 1, [2, 2, 3], 1, { dy: 1, dx: 1, flip: true }, out, 0);
  assert.deepEqual(Array.from(out), [110, 111, 112, 100, 101, 102, 130, 131, 132, 120, 121, 122]);
});

test('the draw covers every offset in [0, 2 pad] and both flips', () => {
  const random = seeded('draws');
  const dys = new Set<number>();
  const dxs = new Set<number>();
  let flips = 0;
  for (let i = 0; i < 2000; i++) {
    const t = drawCropFlip(random, 4);
    dys.add(t.dy);
    dxs.add(t.dx);
    flips += t.flip ? 1 : 0;
  }
  assert.deepEqual([...dys].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual([...dxs].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.ok(flips > 900 && flips < 1100, `${flips} flips of 2000`);
});

test('normalization uses the per-channel mean and std on the 0..1 scale', () => {
  const table = normalizationTable([0.5, 0.25], [0.5, 2]);
  assert.equal(table[0], -1); // channel 0, value 0
  assert.ok(Math.abs(table[255]! - 1) < 1e-6); // channel 0, value 255
  assert.ok(Math.abs(table[256 + 51]! - (0.2 - 0.25) / 2) < 1e-6); // channel 1, value 51
});

test('a batch is deterministic given its random stream, reuses one buffer, and normalizes the cropped pixels', () => {
  const images = Uint8Array.from({ length: 5 * 16 }, (_, p) => (p * 37) & 0xff);
  const stats = { mean: [0.5], std: [0.25] };
  const augmenter = new BatchAugmenter(images, SHAPE, 2, stats, 4);
  const indices = Int32Array.of(3, 0, 4);
  const first = augmenter.batch(indices, seeded('step 7')).slice();
  const view = augmenter.batch(indices, seeded('step 7'));
  assert.deepEqual(view, first, 'same stream, same batch');
  assert.equal(view.length, 3 * 16);
  assert.equal(augmenter.batch(Int32Array.of(1), seeded('other')).buffer, view.buffer, 'one buffer, reused');
  assert.notDeepEqual(augmenter.batch(indices, seeded('step 8')), first, 'another stream, another batch');

  // Example by example, the batch is the normalized crop drawn from the same stream.
  const random = seeded('step 7');
  const table = normalizationTable(stats.mean, stats.std);
  indices.forEach((example, b) => {
    const pixels = new Uint8Array(16);
    cropFlipInto(images, example, SHAPE, 2, drawCropFlip(random, 2), pixels, 0);
    assert.deepEqual(first.subarray(b * 16, (b + 1) * 16), Float32Array.from(pixels, (v) => table[v]!));
  });
});

test('an ensemble step: each network\'s batch from its own stream, one after another; more than the buffer holds is refused', () => {
  const images = Uint8Array.from({ length: 6 * 16 }, (_, p) => (p * 53) & 0xff);
  const stats = { mean: [0.4], std: [0.3] };
  const augmenter = new BatchAugmenter(images, SHAPE, 1, stats, 6);
  const parts = [
    { indices: Int32Array.of(5, 1, 2), stream: 'network 0, step 3' },
    { indices: Int32Array.of(0, 4, 3), stream: 'network 1, step 3' },
  ];
  const each = parts.map((p) => augmenter.batch(p.indices, seeded(p.stream)).slice());
  const together = augmenter.batches(parts.map((p) => ({ indices: p.indices, random: seeded(p.stream) })));
  assert.deepEqual(together, Float32Array.from([...each[0]!, ...each[1]!]));
  assert.throws(() => augmenter.batches([...parts, ...parts].map((p) => ({ indices: p.indices, random: seeded(p.stream) }))), /12 examples, room for 6/);
});
