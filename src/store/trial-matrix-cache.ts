// The run's trials as example-major bit matrices, kept in <run>/cache/trial-matrix.bin so that an estimate
// after new trials reads only the new files. Every cached trial is checked against its file's identity
// (size, modification and change times in ns, inode); a cached trial whose file changed or vanished makes
// the cache be rebuilt from every file. Files are read concurrently, 32 trials transposed at a time.
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TrialBits } from '../estimate/trial-bits.js';
import { createLogger } from '../log.js';
import { writeFileAtomic } from './atomic.js';
import type { RunDirectory, RunManifest } from './run-dir.js';
import type { StoredTrial } from './trial-file.js';

const CACHE_FORMAT = 'trial-matrix/1';
const MAGIC = 'MZTRIALS';
const READS_IN_FLIGHT = 64;

/** A trial file's identity: any rewrite, replacement or touch changes it (the change time cannot be set back). */
type FileIdentity = string;

async function fileIdentity(path: string): Promise<FileIdentity> {
  const s = await stat(path, { bigint: true });
  return `${s.size}:${s.mtimeNs}:${s.ctimeNs}:${s.ino}`;
}

interface CachedTrial {
  trial: number;
  identity: FileIdentity;
  testAccuracy: number;
}

interface CacheHeader {
  format: typeof CACHE_FORMAT;
  configHash: string;
  n: number;
  nTest: number;
  slots: CachedTrial[]; // slot s of every row holds this trial
}

/** Every finished trial of a run, in slots of the bit matrices. */
export interface TrialSlots {
  trials: number[]; // [slots] trial index of each slot (cache order: not necessarily ascending)
  testAccuracy: Float64Array; // [slots]
  subset: TrialBits;
  trainCorrect: TrialBits;
  testCorrect: TrialBits;
  filesRead: number; // trial files read this time (the rest came from the cache)
}

export function cachePath(runDir: RunDirectory): string {
  return runDir.path('cache', 'trial-matrix.bin');
}

/** The cache, or undefined when there is none or it is of another run or format. */
async function readCache(path: string, manifest: RunManifest): Promise<{ header: CacheHeader; bits: [TrialBits, TrialBits, TrialBits] } | undefined> {
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
    return { header, bits: [await read(header.n), await read(header.n), await read(header.nTest)] };
  } catch {
    return undefined; // unreadable or cut short: rebuilt
  } finally {
    await handle.close();
  }
}

async function writeCache(path: string, header: CacheHeader, bits: TrialBits[]): Promise<void> {
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const start = Math.ceil((12 + headerBytes.length) / 16) * 16;
  const out = new Uint8Array(start + bits.reduce((sum, b) => sum + b.data.byteLength, 0));
  out.set(Buffer.from(MAGIC, 'latin1'), 0);
  new DataView(out.buffer).setUint32(8, headerBytes.length, true);
  out.set(headerBytes, 12);
  let position = start;
  for (const b of bits) {
    out.set(new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength), position);
    position += b.data.byteLength;
  }
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, out);
}

/** Reads `paths` in order with up to READS_IN_FLIGHT reads under way. */
async function* readAhead(paths: readonly string[]): AsyncGenerator<Uint8Array> {
  const pending: Promise<Uint8Array>[] = [];
  let next = 0;
  const fill = (): void => {
    while (next < paths.length && pending.length < READS_IN_FLIGHT) pending.push(readFile(paths[next++]!));
  };
  fill();
  while (pending.length > 0) {
    const bytes = await pending.shift()!;
    fill();
    yield bytes;
  }
}

/** Every finished trial of the run as bit matrices: the cache, updated with the new trial files, or rebuilt. */
export async function loadTrialSlots(runDir: RunDirectory, manifest: RunManifest, files: Map<number, string>): Promise<TrialSlots> {
  const path = cachePath(runDir);
  const identities = new Map(await Promise.all([...files].map(async ([trial, file]) => [trial, await fileIdentity(file)] as const)));
  const cached = await readCache(path, manifest);
  const changed = cached?.header.slots.filter((slot) => identities.get(slot.trial) !== slot.identity) ?? [];
  if (changed.length > 0) {
    const log = createLogger(runDir.logsDir, 'estimate');
    log.warn({ trials: changed.map((slot) => slot.trial).slice(0, 20), count: changed.length }, 'trial files changed or removed since the cache was built: rebuilding it from every trial file');
  }
  const kept = cached && changed.length === 0 ? cached : undefined;
  const slots: CachedTrial[] = kept ? [...kept.header.slots] : [];
  const inCache = new Set(slots.map((slot) => slot.trial));
  const fresh = [...files.keys()].filter((trial) => !inCache.has(trial));
  const first = slots.length;
  const total = first + fresh.length;
  const { n, nTest } = manifest.dataset;
  const [subset, trainCorrect, testCorrect] = kept ? kept.bits.map((b) => (b.trials === total ? b : b.widened(total))) as [TrialBits, TrialBits, TrialBits] : [new TrialBits(n, total), new TrialBits(n, total), new TrialBits(nTest, total)];
  let group: StoredTrial[] = [];
  const flush = (): void => {
    const at = slots.length - group.length;
    subset.setTrials(at, group.map((g) => g.subset));
    trainCorrect.setTrials(at, group.map((g) => g.trainCorrect));
    testCorrect.setTrials(at, group.map((g) => g.testCorrect));
    group = [];
  };
  let k = 0;
  for await (const bytes of readAhead(fresh.map((trial) => files.get(trial)!))) {
    const trial = fresh[k++]!;
    const stored = runDir.checkTrial(bytes, files.get(trial)!, trial, manifest);
    group.push(stored);
    slots.push({ trial, identity: identities.get(trial)!, testAccuracy: stored.testAccuracy });
    // Groups end at word boundaries, so each group fills whole words of its slots.
    if (slots.length % 32 === 0) flush();
  }
  if (group.length > 0) flush();
  if (fresh.length > 0 || !kept) await writeCache(path, { format: CACHE_FORMAT, configHash: manifest.configHash, n, nTest, slots }, [subset, trainCorrect, testCorrect]);
  return { trials: slots.map((slot) => slot.trial), testAccuracy: Float64Array.from(slots, (slot) => slot.testAccuracy), subset, trainCorrect, testCorrect, filesRead: fresh.length };
}
