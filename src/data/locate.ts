// Where data set files live: the directories to try (--data-dir, $MEMORIZE_DATA, system packages)
// and which of a file's accepted names exists in a directory.
import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';

/** Where Debian's `dataset-fashion-mnist` package installs the four gzipped IDX files. */
export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** Where `memorize data fetch` puts data set `name` by default: $MEMORIZE_DATA/<name>, else ~/.cache/memorize/<name>. */
export function defaultDataDirectory(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const root = env['MEMORIZE_DATA'];
  return path.join(root !== undefined && root !== '' ? root : path.join(homedir(), '.cache', 'memorize'), name);
}

/**
 * Directories to look in for data set `name`, in order: only `dataDir` when given; otherwise
 * `$MEMORIZE_DATA/<name>`, `$MEMORIZE_DATA`, ~/.cache/memorize/<name> (where `memorize data fetch`
 * puts it), and for fashion-mnist Debian's install directory.
 */
export function dataDirectoryCandidates(name: string, dataDir?: string, env: NodeJS.ProcessEnv = process.env): string[] {
  if (dataDir !== undefined && dataDir !== '') return [dataDir];
  const candidates = [defaultDataDirectory(name, env)];
  const root = env['MEMORIZE_DATA'];
  if (root !== undefined && root !== '') candidates.push(root);
  if (name === 'fashion-mnist') candidates.push(DEBIAN_FASHION_MNIST_DIR);
  return candidates;
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/**
 * For each required file (given as its accepted paths relative to `dir`, best first), the absolute
 * path of the first one that exists, or undefined when none does.
 */
export async function findFiles(dir: string, files: readonly (readonly string[])[]): Promise<(string | undefined)[]> {
  const found: (string | undefined)[] = [];
  for (const alternatives of files) {
    let hit: string | undefined;
    for (const name of alternatives) {
      const file = path.resolve(dir, name);
      if (await isFile(file)) {
        hit = file;
        break;
      }
    }
    found.push(hit);
  }
  return found;
}

/** The first candidate directory that holds every required file (see findFiles), or undefined. */
export async function findDataDirectory(
  candidates: readonly string[],
  files: readonly (readonly string[])[],
): Promise<string | undefined> {
  for (const dir of candidates) {
    if ((await findFiles(dir, files)).every((file) => file !== undefined)) return dir;
  }
  return undefined;
}
