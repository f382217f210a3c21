// Example images as PNG: CIFAR's colour and MNIST's grey pixels exactly, synthetic-longtail through the
// viridis heat-map (dark blue at 0, yellow at 255).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode } from 'fast-png';
import { examplePng, paletteOf } from '../../src/report/images.js';

const ramp = (count: number): Uint8Array => Uint8Array.from({ length: count }, (_, k) => (k * 37) & 0xff);

test('colour and grey images keep their pixels and channels', () => {
  for (const shape of [[32, 32, 3], [28, 28, 1]] as [number, number, number][]) {
    const size = shape[0] * shape[1] * shape[2];
    const images = ramp(3 * size);
    const png = decode(examplePng({ images, shape, palette: paletteOf('cifar10') }, 2));
    assert.deepEqual([png.width, png.height, png.channels], [shape[1], shape[0], shape[2]]);
    assert.deepEqual(Buffer.from(png.data as Uint8Array), Buffer.from(images.subarray(2 * size, 3 * size)));
  }
});

test('synthetic-longtail becomes a viridis heat-map', () => {
  assert.equal(paletteOf('synthetic-longtail'), 'heat-map');
  assert.equal(paletteOf('mnist'), 'as-is');
  const images = Uint8Array.from([0, 255, 128, 0]);
  const png = decode(examplePng({ images, shape: [2, 2, 1], palette: 'heat-map' }, 0));
  assert.equal(png.channels, 3);
  const pixel = (p: number): number[] => Array.from((png.data as Uint8Array).subarray(p * 3, p * 3 + 3));
  assert.deepEqual(pixel(0), [68, 1, 84], 'viridis at 0: dark purple-blue');
  assert.deepEqual(pixel(1), [253, 231, 37], 'viridis at 1: yellow');
  assert.deepEqual(pixel(3), pixel(0));
});
