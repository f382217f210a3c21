// Atomic file writes: write a hidden temporary beside the target, flush it to disk, rename over the
// target (or hard-link it, to create the target only if it is absent), then flush the directory. A reader
// sees either nothing or the whole file, even if the writer is killed mid-write or the machine loses power.
import { link, lstat, open, readdir, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileSystemError } from './fs-errors.js';

/** Names of temporaries start with "." and end with ".tmp", so directory scans can skip them. */
export function isTemporaryName(name: string): boolean {
  return name.startsWith('.') && name.endsWith('.tmp');
}

let written = 0; // makes temporaries of concurrent writes within one process distinct

/** "1.4 kB": sizes in messages. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Tests only: MEMORIZE_TEST_PAUSE_AFTER=<step>:<file name> (steps: temporary, rename, unlink) stops this
 * process with SIGSTOP right after that step, so that a test can kill it there (SIGKILL) or race another
 * process against it and then let it go on (SIGCONT); see test/cli/integrity.test.ts. */
function pauseForTest(step: string, path: string): void {
  const point = `${step}:${basename(path)}`;
  if (process.env['MEMORIZE_TEST_PAUSE_AFTER'] !== point) return;
  process.stderr.write(`memorize: paused after ${point}\n`); // synchronous on pipes and files
  process.kill(process.pid, 'SIGSTOP');
}

/** Flushes a directory's entries (a rename or link in it) to disk. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** What a file write takes: bytes, text, or bytes in parts (written one after another, never joined in memory). */
export type FileData = Uint8Array | string | readonly Uint8Array[];

function dataBytes(data: FileData): number {
  if (typeof data === 'string') return Buffer.byteLength(data);
  return data instanceof Uint8Array ? data.length : data.reduce((sum, part) => sum + part.length, 0);
}

/** Writes a flushed temporary beside `path` and returns its name. */
async function writeTemporary(path: string, data: FileData, detail: string): Promise<string> {
  const temporary = join(dirname(path), `.${basename(path)}.${hostname()}.${process.pid}.${written++}.tmp`);
  try {
    const handle = await open(temporary, 'w');
    try {
      // writeFile writes from the current position, so the parts follow one another.
      for (const part of typeof data === 'string' || data instanceof Uint8Array ? [data] : data) await handle.writeFile(part);
      await handle.datasync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw fileSystemError(error, path, detail || formatBytes(dataBytes(data)));
  }
  pauseForTest('temporary', path);
  return temporary;
}

async function renameInto(temporary: string, path: string): Promise<void> {
  try {
    await rename(temporary, path);
    await syncDirectory(dirname(path));
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw fileSystemError(error, path);
  }
  pauseForTest('rename', path);
}

/** Writes `path` atomically; `detail` says in a failure message what the file is. */
export async function writeFileAtomic(path: string, data: FileData, detail = ''): Promise<void> {
  await renameInto(await writeTemporary(path, data, detail), path);
}

/** Writes several files so that none is replaced before all are on disk: every temporary first, then the
 * renames, in order. (A reader must still check that the files belong together; estimates carry a generation.) */
export async function writeFilesAtomic(files: readonly { path: string; data: Uint8Array | string }[]): Promise<void> {
  const temporaries: string[] = [];
  try {
    for (const file of files) temporaries.push(await writeTemporary(file.path, file.data, ''));
  } catch (error) {
    await Promise.all(temporaries.map((t) => unlink(t).catch(() => undefined)));
    throw error;
  }
  for (const [k, file] of files.entries()) await renameInto(temporaries[k]!, file.path);
}

/** Writes `path` atomically only if it does not exist yet (a hard link fails on an existing target,
 * unlike rename): of several processes racing, exactly one wins. Returns whether this one did. */
export async function writeFileAtomicIfAbsent(path: string, data: Uint8Array | string): Promise<boolean> {
  const temporary = await writeTemporary(path, data, '');
  try {
    await link(temporary, path);
    await syncDirectory(dirname(path));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw fileSystemError(error, path);
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

/** Removes `path` if it exists (tests may pause right after). */
export async function removeFile(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fileSystemError(error, path);
  }
  pauseForTest('unlink', path);
}

/** Whether process `pid` of this machine is alive (signal 0 only checks; EPERM: it runs, as another user). */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A temporary of another machine is stale after this long: a temporary lives for one file write. */
const FOREIGN_TEMPORARY_AGE_MS = 24 * 3600 * 1000;
const TEMPORARY_NAME = /^\.(.+)\.(\d+)\.\d+\.tmp$/;

/** Removes the temporaries in `dir` that no live writer can still rename: this host's whose process has
 * ended, and other hosts' older than a day. Returns how many it removed and their size. */
export async function removeStaleTemporaries(dir: string): Promise<{ files: number; bytes: number }> {
  const removed = { files: 0, bytes: 0 };
  const names = await readdir(dir).catch(() => [] as string[]);
  const host = hostname();
  for (const name of names) {
    const match = TEMPORARY_NAME.exec(name);
    if (!isTemporaryName(name) || !match) continue;
    const path = join(dir, name);
    const info = await lstat(path).catch(() => undefined);
    if (!info?.isFile()) continue;
    const ours = match[1]!.endsWith(`.${host}`);
    const stale = ours ? !processIsAlive(Number(match[2])) : Date.now() - info.mtimeMs > FOREIGN_TEMPORARY_AGE_MS;
    if (!stale) continue;
    await unlink(path).then(() => {
      removed.files++;
      removed.bytes += info.size;
    }, () => undefined);
  }
  return removed;
}
