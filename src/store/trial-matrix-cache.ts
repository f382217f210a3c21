// The run's trials as example-major bit matrices, kept in <run>/cache/trial-matrix.bin so that an estimate
// after new trials reads only the new files. Every cached trial is checked against its file's identity
// (size, modification and change times in ns, inode), and the cached bits against their sha256; a cached
// trial whose file changed or vanished, or damaged bits, make the cache be rebuilt from every file. Many new
// files are read on every core at once (reader workers, trial-fill.ts), 512 trials transposed at a time.
import { createHash } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { UsageError } from '../errors.js';
import { TRANSPOSE_GROUP } from '../estimate/bit-kernels.js';
import { TrialBits } from '../estimate/trial-bits.js';
import { createLogger } from '../log.js';
import { formatBytes, writeFileAtomic } from './atomic.js';
import { fileSystemError } from './fs-errors.js';
import type { RunDirectory, RunManifest } from './run-dir.js';
import { fileIdentity, fillSlots, layoutOf, type CachedTrial, type FillRun, type ReaderInput, type RunBits, type SlotFill, type TrialInfo } from './trial-fill.js';

export type { TrialInfo } from './trial-fill.js';

const CACHE_FORMAT = 'trial-matrix/1';
const MAGIC = 'MZTRIALS';

/** sha256 of the three matrices' words, as stored. */
function bitsChecksum(bits: readonly TrialBits[]): string {
  const hash = createHash('sha256');
  for (const b of bits) hash.update(new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength));
  return hash.digest('hex');
}

interface CacheHeader {
  format: typeof CACHE_FORMAT;
  configHash: string;
  n: number;
  nTest: number;
  slots: CachedTrial[]; // slot s of every row holds this trial
  sha256: string; // of the bits that follow the header (bitsChecksum)
}

/** Every finished trial of a run, in slots of the bit matrices. */
export interface TrialSlots {
  trials: TrialInfo[]; // [slots] the trial of each slot (cache order: not necessarily ascending)
  subset: TrialBits;
  trainCorrect: TrialBits;
  testCorrect: TrialBits;
  filesRead: number; // trial files read this time (the rest came from the cache)
  /** The cache's write, started but not awaited, so that it overlaps the estimation (which only reads the
   * matrices): the caller awaits it before it finishes. Already settled when nothing was written. */
  saved: Promise<void>;
}

export function cachePath(runDir: RunDirectory): string {
  return join(runDir.cacheDir, 'trial-matrix.bin');
}

/** The cache, or undefined when there is none, it is of another run or format, cut short or damaged. */
async function readCache(path: string, manifest: RunManifest): Promise<{ header: CacheHeader; bits: RunBits } | undefined> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return undefined;
  try {
    const prefix = Buffer.alloc(12);
    await handle.read(prefix, 0, 12, 0);
    if (prefix.toString('latin1', 0, 8) !== MAGIC) return undefined;
    const headerBytes = Buffer.alloc(prefix.readUInt32LE(8));
    await handle.read(headerBytes, 0, headerBytes.length, 12);
    const header = JSON.parse(headerBytes.toString('utf8')) as CacheHeader;
    if (header.format !== CACHE_FORMAT || header.configHash !== manifest.configHash || header.n !== manifest.dataset.n || header.nTest !== manifest.dataset.nTest) return undefined;
    let position = Math.ceil((12 + headerBytes.length) / 16) * 16;
    const slots = header.slots.length;
    const read = async (rows: number): Promise<TrialBits> => {
      const bits = new TrialBits(rows, slots);
      const bytes = new Uint8Array(bits.data.buffer);
      const { bytesRead } = await handle.read(bytes, 0, bytes.length, position);
      if (bytesRead !== bytes.length) throw new Error('short');
      position += bytes.length;
      return bits;
    };
    const bits: RunBits = [await read(header.n), await read(header.n), await read(header.nTest)];
    return bitsChecksum(bits) === header.sha256 ? { header, bits } : undefined;
  } catch {
    return undefined; // unreadable or cut short: rebuilt
  } finally {
    await handle.close();
  }
}

async function writeCache(path: string, header: Omit<CacheHeader, 'sha256'>, bits: RunBits): Promise<void> {
  const headerBytes = Buffer.from(JSON.stringify({ ...header, sha256: bitsChecksum(bits) } satisfies CacheHeader), 'utf8');
  const prefix = new Uint8Array(Math.ceil((12 + headerBytes.length) / 16) * 16);
  prefix.set(Buffer.from(MAGIC, 'latin1'), 0);
  new DataView(prefix.buffer).setUint32(8, headerBytes.length, true);
  prefix.set(headerBytes, 12);
  // The matrices written from where they lie (not copied after the header: 56 MB at CIFAR-100 shape).
  const parts = [prefix, ...bits.map((b) => new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength))];
  await mkdir(dirname(path), { recursive: true }).catch((error: unknown) => {
    throw fileSystemError(error, dirname(path), 'a directory');
  });
  await writeFileAtomic(path, parts, `${formatBytes(parts.reduce((sum, part) => sum + part.length, 0))}, the run's trial-matrix cache`);
}

/** Above this many new trial files, worker threads read them (each reads whole words of slots). */
const READER_THREADS_FROM = 256;

/** fillSlots over every core: the slots cut into ranges at multiples of 512, one per reader worker, each given the
 * layout of the run's trial files (one file decoded in full here), so that the readers need not load apache-arrow. */
async function fillSlotsInParallel(runDir: RunDirectory, manifest: RunManifest, fill: SlotFill, bits: RunBits): Promise<CachedTrial[]> {
  const threads = fill.trials.length < READER_THREADS_FROM ? 1 : availableParallelism();
  const run: FillRun = { manifest, trialsDir: runDir.trialsDir };
  if (threads === 1) return fillSlots(run, fill, bits);
  const { trial, path } = fill.trials[0]!;
  const layout = await layoutOf(path, trial, manifest, runDir.trialsDir);
  // Cut points: fill.first, then multiples of 512 slots.
  const end = fill.first + fill.trials.length;
  const firstGroup = Math.floor(fill.first / TRANSPOSE_GROUP);
  const groups = Math.ceil(end / TRANSPOSE_GROUP) - firstGroup;
  const cuts = Array.from({ length: threads + 1 }, (_, w) => Math.min(end, Math.max(fill.first, (firstGroup + Math.round((w * groups) / threads)) * TRANSPOSE_GROUP)));
  cuts[threads] = end;
  const parts = cuts.slice(0, -1).map((from, w) => ({ first: from, trials: fill.trials.slice(from - fill.first, cuts[w + 1]! - fill.first) })).filter((part) => part.trials.length > 0);
  return (await Promise.all(parts.map((part) => readOnWorker({ ...run, ...(layout && { layout }) }, part, bits)))).flat();
}

async function readOnWorker(run: FillRun, fill: SlotFill, bits: RunBits): Promise<CachedTrial[]> {
  const input: ReaderInput = { ...run, fill, slots: bits[0].trials, data: [bits[0].data, bits[1].data, bits[2].data] };
  const worker = new Worker(new URL('./trial-reader-worker.js', import.meta.url), { workerData: input });
  try {
    const reply = await new Promise<{ infos: CachedTrial[] } | { usage: string } | { error: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    if ('usage' in reply) throw new UsageError(reply.usage);
    if ('error' in reply) throw new Error(`trial reader: ${reply.error}`);
    return reply.infos;
  } finally {
    await worker.terminate();
  }
}

/** Every finished trial of the run as bit matrices: the cache, updated with the new trial files, or rebuilt. */
export async function loadTrialSlots(runDir: RunDirectory, manifest: RunManifest, files: Map<number, string>): Promise<TrialSlots> {
  const path = cachePath(runDir);
  const cached = await readCache(path, manifest);
  // Cached trials are checked here; the others get their identity from the reader's descriptor.
  const changed = cached?.header.slots.filter((slot) => !files.has(slot.trial) || fileIdentity(files.get(slot.trial)!) !== slot.identity) ?? [];
  if (changed.length > 0) {
    const log = createLogger(runDir.logsDir, 'estimate');
    log.warn({ trials: changed.map((slot) => slot.trial).slice(0, 20), count: changed.length }, 'trial files changed or removed since the cache was built: rebuilding it from every trial file');
  }
  const kept = cached && changed.length === 0 ? cached : undefined;
  const slots: CachedTrial[] = kept ? [...kept.header.slots] : [];
  const inCache = new Set(slots.map((slot) => slot.trial));
  const fresh = [...files.keys()].filter((trial) => !inCache.has(trial));
  const total = slots.length + fresh.length;
  const { n, nTest } = manifest.dataset;
  const bits = (kept ? kept.bits.map((b) => (b.trials === total ? b : b.widened(total))) : [new TrialBits(n, total), new TrialBits(n, total), new TrialBits(nTest, total)]) as RunBits;
  const infos = await fillSlotsInParallel(runDir, manifest, { first: slots.length, trials: fresh.map((trial) => ({ trial, path: files.get(trial)! })) }, bits);
  for (const info of infos) slots.push(info);
  const saved = fresh.length > 0 || !kept ? writeCache(path, { format: CACHE_FORMAT, configHash: manifest.configHash, n, nTest, slots }, bits) : Promise.resolve();
  saved.catch(() => undefined); // handled where the caller awaits it, even if the caller fails first
  const [subset, trainCorrect, testCorrect] = bits;
  return { trials: slots.map(({ identity: _, ...info }) => info), subset, trainCorrect, testCorrect, filesRead: fresh.length, saved };
}
