// The values of a trial file as read back (bit views of its masks), their checks (the checksum of the values,
// the subset size) and their reading in place at a layout learned from another file of the run: what the
// reader threads need, without apache-arrow (trial-file.ts parses and writes the files).
import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';
import type { RunManifest } from './run-dir.js';

/** Schema metadata of a trial file that its producer gives. */
export interface TrialMetadata {
  configHash: string;
  dataset: string;
  backend: string; // backend name, and the GPU adapter where there is one
}


/** Metadata as read back: trial/1 files have no fingerprint. */
export interface StoredTrialMetadata extends TrialMetadata {
  format: string;
  dataFingerprint?: string;
}

/** A bit-packed 0/1 vector inside an Arrow buffer (LSB-first), read without copying. */
export interface BitView {
  bytes: Uint8Array;
  bitOffset: number;
  length: number;
}

/** A trial file as read back: masks as bit views. */
export interface StoredTrial {
  trial: number;
  seed: number;
  subset: BitView;
  trainCorrect: BitView;
  testCorrect: BitView;
  trainMargin?: Float32Array; // present when the run recorded margins
  testMargin?: Float32Array;
  trainAccuracy: number;
  testAccuracy: number;
  seconds: number; // wall time of the trial
  metadata: StoredTrialMetadata;
}


/** The packed bytes of a bit view, from bit 0, with the bits past its length cleared. */
function packedBytes(view: BitView): Uint8Array {
  const { bytes, bitOffset, length } = view;
  const packed = bitOffset % 8 === 0 ? bytes.slice(bitOffset / 8, bitOffset / 8 + Math.ceil(length / 8)) : new Uint8Array(Math.ceil(length / 8));
  if (bitOffset % 8 !== 0) for (let i = 0; i < length; i++) packed[i >> 3]! |= ((bytes[(bitOffset + i) >> 3]! >> ((bitOffset + i) & 7)) & 1) << (i & 7);
  if (length % 8 !== 0) packed[packed.length - 1]! &= (1 << (length % 8)) - 1;
  return packed;
}

/** Number of set bits of a bit view, 32 at a time (packedBytes returns a fresh, aligned copy). */
function countBits(view: BitView): number {
  const packed = packedBytes(view);
  const words = new Uint32Array(packed.buffer, packed.byteOffset, packed.length >>> 2);
  let count = 0;
  for (let w = 0; w < words.length; w++) {
    let v = words[w]!;
    v -= (v >>> 1) & 0x55555555;
    v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
    count += (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
  }
  for (let k = words.length * 4; k < packed.length; k++) for (let b = packed[k]!; b; b &= b - 1) count++;
  return count;
}

/** The values a checksum covers, in file order (masks packed, margins as raw float32). */
export interface Payload {
  trial: number;
  seed: number;
  masks: Uint8Array[]; // subset, train_correct, test_correct, packed
  margins: Float32Array[]; // those present
  scalars: number[]; // train_accuracy, test_accuracy, seconds
}

/** sha256 of a trial's values: any flipped bit of the masks, margins or numbers changes it. */
export function payloadChecksum(p: Payload): string {
  const hash = createHash('sha256');
  hash.update(Uint32Array.of(p.trial >>> 0, p.seed >>> 0, p.masks.length, p.margins.length));
  for (const mask of p.masks) hash.update(Uint32Array.of(mask.length)).update(mask);
  for (const margin of p.margins) hash.update(Uint32Array.of(margin.length)).update(new Uint8Array(margin.buffer, margin.byteOffset, margin.byteLength));
  hash.update(Float64Array.from(p.scalars));
  return hash.digest('hex');
}

/** Sizes a trial file must have: n and n' entries, and (when given) m examples in its subset. */
export interface TrialSizes {
  n: number;
  nTest: number;
  m?: number;
}

export const TRIAL_REMEDY = 'move it out of trials/ (`memorize train` then redoes that trial)';

export function checkValues(stored: StoredTrial, expected: string | undefined, path: string): void {
  const checksum = payloadChecksum({
    trial: stored.trial,
    seed: stored.seed,
    masks: [stored.subset, stored.trainCorrect, stored.testCorrect].map(packedBytes),
    margins: [stored.trainMargin, stored.testMargin].filter((m) => m !== undefined),
    scalars: [stored.trainAccuracy, stored.testAccuracy, stored.seconds],
  });
  if (checksum !== expected) throw new UsageError(`${path} is damaged: its values do not match the checksum it was written with; ${TRIAL_REMEDY}`);
}

export function checkSubsetSize(stored: StoredTrial, sizes: TrialSizes, path: string): void {
  const members = countBits(stored.subset);
  if (sizes.m !== undefined && members !== sizes.m) {
    throw new UsageError(`${path} has a subset of ${members} examples, the run's subsets have m = ${sizes.m}; ${TRIAL_REMEDY}`);
  }
}

/** Where a trial file's values lie (byte offsets), learned from one decoded file of a run: the other files of
 * the run differ from it only there and in the checksum's text, as long as their metadata are the same. */
export interface TrialLayout {
  template: Uint8Array; // a copy of the decoded file's bytes (not Buffer.slice: a view, and readers reuse their buffer)
  metadata: StoredTrialMetadata;
  masks: [subset: number, trainCorrect: number, testCorrect: number]; // byte offsets of the packed bits
  margins: [train: number | undefined, test: number | undefined]; // byte offsets of the float32 values
  scalars: [trial: number, seed: number, trainAccuracy: number, testAccuracy: number, seconds: number];
  checksumText: number[]; // byte offsets of the 64 hex digits of memorize.payload_sha256, wherever the file holds them
  variable: [start: number, end: number][]; // every byte range above, sorted and merged
}


/** decodeTrial for a file of `layout`'s run, without parsing it: every byte outside the values and the checksum
 * text must equal the layout's file (so its schema, sizes and metadata are those already checked), then the
 * values are read in place and checked against their checksum and the subset size. Undefined where the file
 * differs elsewhere (another backend name, say): decode it with decodeTrial. */
export function decodeTrialAs(layout: TrialLayout, bytes: Uint8Array, path: string, sizes: TrialSizes): StoredTrial | undefined {
  const { template } = layout;
  if (bytes.length !== template.length) return undefined;
  let from = 0;
  for (const [start, end] of [...layout.variable, [bytes.length, bytes.length] as const]) {
    if (Buffer.compare(bytes.subarray(from, start), template.subarray(from, start)) !== 0) return undefined;
    from = end;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const texts = layout.checksumText.map((at) => Buffer.from(bytes.buffer, bytes.byteOffset + at, 64).toString('latin1'));
  if (texts.some((text) => text !== texts[0])) return undefined;
  const bits = (at: number, length: number): BitView => ({ bytes: bytes.subarray(at, at + Math.ceil(length / 8)), bitOffset: 0, length });
  const floats = (at: number | undefined, length: number): Float32Array | undefined => {
    if (at === undefined) return undefined;
    const start = bytes.byteOffset + at;
    return start % 4 === 0 ? new Float32Array(bytes.buffer, start, length) : new Float32Array(bytes.slice(at, at + 4 * length).buffer);
  };
  const [trial, seed, trainAccuracy, testAccuracy, seconds] = layout.scalars;
  const [trainMargin, testMargin] = [floats(layout.margins[0], sizes.n), floats(layout.margins[1], sizes.nTest)];
  const stored: StoredTrial = {
    trial: view.getInt32(trial, true),
    seed: view.getUint32(seed, true),
    subset: bits(layout.masks[0], sizes.n),
    trainCorrect: bits(layout.masks[1], sizes.n),
    testCorrect: bits(layout.masks[2], sizes.nTest),
    ...(trainMargin && { trainMargin }),
    ...(testMargin && { testMargin }),
    trainAccuracy: view.getFloat64(trainAccuracy, true),
    testAccuracy: view.getFloat64(testAccuracy, true),
    seconds: view.getFloat64(seconds, true),
    metadata: layout.metadata,
  };
  checkValues(stored, texts[0], path);
  checkSubsetSize(stored, sizes, path);
  return stored;
}

/** The sizes a trial file of the run must have. */
export function runTrialSizes(manifest: RunManifest): TrialSizes {
  return { n: manifest.dataset.n, nTest: manifest.dataset.nTest, m: manifest.m };
}

/** The checks of a decoded trial against the run: it is trial `trial`, of the run's config and data. */
export function checkTrialOfRun(stored: StoredTrial, path: string, trial: number, manifest: RunManifest, trialsDir: string): void {
  const { dataset } = manifest;
  if (stored.trial !== trial) throw new UsageError(`${path} holds trial ${stored.trial}, not ${trial}; ${TRIAL_REMEDY}`);
  if (stored.metadata.configHash !== manifest.configHash) {
    throw new UsageError(`${path} comes from a run with another config (hash ${stored.metadata.configHash.slice(0, 12)}); move it out of ${trialsDir}`);
  }
  const fingerprint = stored.metadata.dataFingerprint;
  if (fingerprint !== undefined && fingerprint !== dataset.fingerprint) {
    throw new UsageError(`${path} was trained on other data (fingerprint ${fingerprint.slice(0, 12)}, the run's is ${dataset.fingerprint.slice(0, 12)}); move it out of ${trialsDir}`);
  }
}
