// Atomic file writes: write a hidden temporary beside the target, flush it to disk, rename over the
// target (or hard-link it, to create the target only if it is absent). A reader sees either nothing or
// the whole file, even if the writer is killed mid-write.
import { link, open, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';

/** Names of temporaries start with "." and end with ".tmp", so directory scans can skip them. */
export function isTemporaryName(name: string): boolean {
  return name.startsWith('.') && name.endsWith('.tmp');
}

let written = 0; // makes temporaries of concurrent writes within one process distinct

/** Writes a flushed temporary beside `path` and returns its name. */
async function writeTemporary(path: string, data: Uint8Array | string): Promise<string> {
  const temporary = join(dirname(path), `.${basename(path)}.${hostname()}.${process.pid}.${written++}.tmp`);
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(data);
    await handle.datasync();
  } catch (error) {
    await handle.close();
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await handle.close();
  return temporary;
}

export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await rename(await writeTemporary(path, data), path);
}

/** Writes `path` atomically only if it does not exist yet (a hard link fails on an existing target,
 * unlike rename): of several processes racing, exactly one wins. Returns whether this one did. */
export async function writeFileAtomicIfAbsent(path: string, data: Uint8Array | string): Promise<boolean> {
  const temporary = await writeTemporary(path, data);
  try {
    await link(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temporary);
  }
}
