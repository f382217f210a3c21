// File-system failures the user can fix (full disk, read-only or foreign paths) as one-line UsageErrors
// that name the path; any other error passes through unchanged, as the bug it is.
import { UsageError } from '../errors.js';

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exceeded',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'a directory is in the way',
  ENOTDIR: 'a part of the path is a plain file, not a directory',
  EEXIST: 'a file that is not a directory is in the way',
};

const REMEDIES: Record<string, string> = {
  ENOSPC: 'free space there, then rerun the command (finished files are kept)',
  EDQUOT: 'free space there, then rerun the command (finished files are kept)',
  EROFS: 'use a writable --run-dir (copy the run there to continue it)',
  EACCES: 'make it writable, or use another --run-dir',
  EPERM: 'make it writable, or use another --run-dir',
  EISDIR: 'move that directory out of the way, or use another --run-dir',
  ENOTDIR: 'move that file out of the way, or use another --run-dir',
  EEXIST: 'move that file out of the way, or use another --run-dir',
};

/** `error` as a one-line UsageError about `path` when it is a known file-system condition, else `error` itself.
 * `detail` adds what was being done ("writing 1.2 kB, the size of one trial file"). */
export function fileSystemError(error: unknown, path: string, detail = ''): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === undefined || !Object.hasOwn(REASONS, code)) return error;
  return new UsageError(`cannot write ${path}${detail ? ` (${detail})` : ''}: ${REASONS[code]} (${code}); ${REMEDIES[code]}`);
}

/** Runs `action`, turning known file-system failures about `path` into UsageErrors. */
export async function onFileSystem<T>(path: string, action: () => Promise<T>, detail = ''): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw fileSystemError(error, path, detail);
  }
}
