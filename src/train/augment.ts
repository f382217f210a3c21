// The paper's augmentation (supplement B): a random crop of the image zero-padded by `pad` pixels on each
// side, then a random left-right flip, drawn per example. Done on uint8 pixels in JS (tfjs has no per-example
// crop or flip), then normalized into one float32 buffer per batch; the buffers are reused across steps.

/** Where example's crop window starts in the padded image, and whether it is mirrored. */
export interface CropFlip {
  dy: number; // 0..2 * pad: crop rows dy..dy+h-1 of the padded image
  dx: number; // 0..2 * pad
  flip: boolean; // mirror left-right after cropping
}

/** Draws one example's crop offsets (uniform over the 2 * pad + 1 positions per axis) and flip (p = 1/2). */
export function drawCropFlip(random: () => number, pad: number): CropFlip {
  const dy = Math.floor(random() * (2 * pad + 1));
  const dx = Math.floor(random() * (2 * pad + 1));
  return { dy, dx, flip: random() < 0.5 };
}

/**
 * Writes image `index` of `images` ([n, h, w, c] uint8), zero-padded by `pad`, cropped at (dy, dx) to h x w and
 * optionally flipped, into `out` at element `outOffset`. out[y, x] = padded[y + dy, (flip ? w - 1 - x : x) + dx].
 */
export function cropFlipInto(images: Uint8Array, index: number, shape: readonly [number, number, number], pad: number, t: CropFlip, out: Uint8Array, outOffset: number): void {
  const [h, w, c] = shape;
  const source = index * h * w * c;
  for (let y = 0; y < h; y++) {
    const sy = y + t.dy - pad;
    const row = outOffset + y * w * c;
    if (sy < 0 || sy >= h) {
      out.fill(0, row, row + w * c);
      continue;
    }
    for (let x = 0; x < w; x++) {
      const sx = (t.flip ? w - 1 - x : x) + t.dx - pad;
      const to = row + x * c;
      if (sx < 0 || sx >= w) {
        for (let k = 0; k < c; k++) out[to + k] = 0;
      } else {
        const from = source + (sy * w + sx) * c;
        for (let k = 0; k < c; k++) out[to + k] = images[from + k]!;
      }
    }
  }
}

/** Per-channel lookup table: table[k * 256 + v] = (v / 255 - mean[k]) / std[k]. */
export function normalizationTable(mean: readonly number[], std: readonly number[]): Float32Array {
  const table = new Float32Array(mean.length * 256);
  for (let k = 0; k < mean.length; k++) for (let v = 0; v < 256; v++) table[k * 256 + v] = (v / 255 - mean[k]!) / std[k]!;
  return table;
}

/** Builds augmented, normalized batches of one data set's uint8 images into buffers it reuses. */
export class BatchAugmenter {
  private readonly pixels: Uint8Array; // [batch, h, w, c] cropped and flipped
  private readonly floats: Float32Array; // the same, normalized
  private readonly table: Float32Array;
  private readonly size: number; // h * w * c

  constructor(
    private readonly images: Uint8Array, // [n, h, w, c]
    private readonly shape: readonly [number, number, number],
    private readonly pad: number,
    stats: { mean: readonly number[]; std: readonly number[] },
    maxBatch: number,
  ) {
    this.size = shape[0] * shape[1] * shape[2];
    this.pixels = new Uint8Array(maxBatch * this.size);
    this.floats = new Float32Array(maxBatch * this.size);
    this.table = normalizationTable(stats.mean, stats.std);
  }

  /** Augments examples `indices` with draws from `random`; returns a view [indices.length * h * w * c] of a
   * buffer that the next call overwrites (so the tensor made from it must be gone by then). */
  batch(indices: Int32Array, random: () => number): Float32Array {
    return this.batches([{ indices, random }]);
  }

  /** Several batches (one per model of an ensemble, each with its own draws) one after another in one view;
   * at most maxBatch examples in all. */
  batches(parts: readonly { indices: Int32Array; random: () => number }[]): Float32Array {
    const { size, pixels, floats, table } = this;
    const channels = this.shape[2];
    const total = parts.reduce((sum, p) => sum + p.indices.length, 0);
    if (total * size > pixels.length) throw new Error(`BatchAugmenter: ${total} examples, room for ${pixels.length / size}`);
    let row = 0;
    for (const { indices, random } of parts) {
      for (const example of indices) cropFlipInto(this.images, example, this.shape, this.pad, drawCropFlip(random, this.pad), pixels, row++ * size);
    }
    const length = row * size;
    for (let p = 0, k = 0; p < length; p++, k = k + 1 === channels ? 0 : k + 1) floats[p] = table[k * 256 + pixels[p]!]!;
    return floats.subarray(0, length);
  }
}
