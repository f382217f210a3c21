// Reading trial files into the slots of the example-major bit matrices (trial-matrix-cache.ts), on the main
// thread or a reader worker (trial-reader-worker.ts). Files of the run's layout are read in place
// (trial-values.ts); apache-arrow is loaded only for a file that is not.
import { closeSync, fstatSync, openSync, readSync, statSync, type BigIntStats } from 'node:fs';
import { BitmapTransposer, TRANSPOSE_GROUP } from '../estimate/bit-kernels.js';
import type { TrialBits } from '../estimate/trial-bits.js';
import { fileSystemError } from './fs-errors.js';
import type { RunManifest } from './run-dir.js';
import { checkTrialOfRun, decodeTrialAs, runTrialSizes, type StoredTrial, type TrialLayout } from './trial-values.js';

/** A trial file's identity: any rewrite, replacement or touch changes it (the change time cannot be set back). */
export type FileIdentity = string;

function identityOf(s: BigIntStats): FileIdentity {
  return `${s.size}:${s.mtimeNs}:${s.ctimeNs}:${s.ino}`;
}

export function fileIdentity(path: string): FileIdentity {
  try {
    return identityOf(statSync(path, { bigint: true })); // synchronous: a fraction of the CPU time of 4000 promise stats
  } catch (error) {
    throw fileSystemError(error, path);
  }
}

/** Reads whole trial files into one buffer, reused (a new buffer per file costs as much as the read), with the
 * identity of the file read: the fstat of the descriptor it was read from. Synchronous (a third of the CPU time
 * of promise reads of small files). */
export class TrialFileReader {
  private buffer = Buffer.allocUnsafeSlow(1 << 16);

  /** The file's bytes, valid until the next read. */
  read(path: string): { bytes: Uint8Array; identity: FileIdentity } {
    try {
      const fd = openSync(path, 'r');
      try {
        const stats = fstatSync(fd, { bigint: true });
        const size = Number(stats.size);
        if (size > this.buffer.length) this.buffer = Buffer.allocUnsafeSlow(size);
        let done = 0;
        for (let got = 1; done < size && got > 0; done += got) got = readSync(fd, this.buffer, done, size - done, done);
        return { bytes: this.buffer.subarray(0, done), identity: identityOf(stats) };
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      throw fileSystemError(error, path);
    }
  }
}

/** One finished trial as the cache keeps it, beside its bits (the report's accuracies, times and backends). */
export interface TrialInfo {
  trial: number;
  testAccuracy: number;
  seconds: number; // wall time of the trial
  backend: string;
}

export interface CachedTrial extends TrialInfo {
  identity: FileIdentity;
}

/** Trial files to read into consecutive slots from `first` on. */
export interface SlotFill {
  first: number;
  trials: { trial: number; path: string }[];
}

/** The run a fill reads: its manifest, its trials directory (for messages) and, when known, the layout of its
 * trial files (from a file decoded in full); without one, the first file is decoded in full and gives it. */
export interface FillRun {
  manifest: RunManifest;
  trialsDir: string;
  layout?: TrialLayout;
}

/** What a reader worker (trial-reader-worker.ts) starts with; the matrices are shared, not copied. */
export interface ReaderInput extends FillRun {
  fill: SlotFill;
  slots: number;
  data: [Uint32Array, Uint32Array, Uint32Array];
}

/** The three matrices of a run. */
export type RunBits = [subset: TrialBits, trainCorrect: TrialBits, testCorrect: TrialBits];

/** A file decoded in full (apache-arrow, loaded on first use), with the layout it gives. */
async function decodeInFull(bytes: Uint8Array, path: string, manifest: RunManifest): Promise<{ stored: StoredTrial; layout: TrialLayout | undefined }> {
  const { decodeTrial, trialLayout } = await import('./trial-file.js');
  const stored = decodeTrial(bytes, path, runTrialSizes(manifest));
  return { stored, layout: trialLayout(bytes, stored) };
}

/** Reads, checks and transposes the trial files of `fill` into their slots, 512 trials (16 words of every row) at
 * a time; returns what the cache keeps of each trial beside its bits. Groups end at multiples of 512 slots and
 * write only the words of their slots, so two fills whose slots lie in different words never write the same
 * word (the reader workers rely on it). */
export async function fillSlots(run: FillRun, fill: SlotFill, bits: RunBits): Promise<CachedTrial[]> {
  const { manifest, trialsDir } = run;
  const sizes = runTrialSizes(manifest);
  const infos: CachedTrial[] = [];
  const transposers = bits.map((b) => new BitmapTransposer(b.rows));
  let first = fill.first;
  let slot = fill.first;
  const flush = (): void => {
    bits.forEach((b, m) => {
      b.setTrials(first, transposers[m]!);
      transposers[m]!.count = 0;
    });
    first = slot;
  };
  const reader = new TrialFileReader();
  let layout = run.layout;
  for (const [k, { trial, path }] of fill.trials.entries()) {
    const { bytes, identity } = reader.read(path);
    let stored = layout && decodeTrialAs(layout, bytes, path, sizes);
    if (!stored) {
      const full = await decodeInFull(bytes, path, manifest);
      stored = full.stored;
      if (k === 0 && !layout) layout = full.layout;
    }
    checkTrialOfRun(stored, path, trial, manifest, trialsDir);
    infos.push({ trial, testAccuracy: stored.testAccuracy, seconds: stored.seconds, backend: stored.metadata.backend, identity });
    // Copied into the transposers' memory before the next read reuses the buffer.
    [stored.subset, stored.trainCorrect, stored.testCorrect].forEach((view, m) => transposers[m]!.add(view));
    if (++slot % TRANSPOSE_GROUP === 0) flush();
  }
  if (slot > first) flush();
  return infos;
}

/** The layout of the run's trial files, from `path` decoded in full and checked (undefined for trial/1 files). */
export async function layoutOf(path: string, trial: number, manifest: RunManifest, trialsDir: string): Promise<TrialLayout | undefined> {
  const { bytes } = new TrialFileReader().read(path);
  const { stored, layout } = await decodeInFull(bytes, path, manifest);
  checkTrialOfRun(stored, path, trial, manifest, trialsDir);
  return layout;
}
