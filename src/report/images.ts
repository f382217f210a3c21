// The data set's own examples as inline PNG images (fast-png): colour for RGB data sets (CIFAR), grey for
// one-channel photographs (MNIST, Fashion-MNIST), and synthetic-longtail's feature grids as viridis heat-maps.
// Images stay at their native size; the page upscales them without blur (image-rendering: pixelated).
import { encode } from 'fast-png';
import { scheme } from 'vega';

export type Palette = 'as-is' | 'heat-map';

/** One split's pixels, [n, height, width, channels], 0..255. */
export interface ImageSource {
  images: Uint8Array;
  shape: [number, number, number];
  palette: Palette;
}

/** Data sets whose one-channel images are not photographs and read better as heat-maps. */
const HEAT_MAP_DATASETS = new Set(['synthetic-longtail']);

export function paletteOf(dataset: string): Palette {
  return HEAT_MAP_DATASETS.has(dataset) ? 'heat-map' : 'as-is';
}

/** 256 RGB entries of the viridis colour scale (Vega's scheme), so 0 is dark blue and 255 yellow. */
function viridisTable(): Uint8Array {
  const interpolate = scheme('viridis') as (t: number) => string;
  const table = new Uint8Array(256 * 3);
  for (let v = 0; v < 256; v++) {
    const match = /rgb\((\d+), (\d+), (\d+)\)/.exec(interpolate(v / 255));
    if (!match) throw new Error(`unexpected colour ${interpolate(v / 255)} from the viridis scheme`);
    table.set([Number(match[1]), Number(match[2]), Number(match[3])], v * 3);
  }
  return table;
}

let viridis: Uint8Array | undefined;

/** The PNG bytes of example `index`. */
export function examplePng(source: ImageSource, index: number): Uint8Array {
  const [height, width, channels] = source.shape;
  const size = height * width * channels;
  const pixels = source.images.subarray(index * size, (index + 1) * size);
  if (source.palette === 'heat-map' && channels === 1) {
    viridis ??= viridisTable();
    const rgb = new Uint8Array(height * width * 3);
    for (let p = 0; p < pixels.length; p++) rgb.set(viridis.subarray(pixels[p]! * 3, pixels[p]! * 3 + 3), p * 3);
    return encode({ width, height, data: rgb, channels: 3, depth: 8 });
  }
  return encode({ width, height, data: pixels, channels, depth: 8 });
}

/** Example `index` as a data: URI for an <img src>. */
export function exampleDataUri(source: ImageSource, index: number): string {
  return `data:image/png;base64,${Buffer.from(examplePng(source, index)).toString('base64')}`;
}
