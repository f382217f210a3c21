// Reads a list of training indices (`train --exclude <file>`): a JSON array, plain text (integers separated
// by spaces, commas or newlines), or an Arrow file's index column (`index`, else `train_index`, as in pairs.arrow).
import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { parseArrowFile } from './tables.js';

const ARROW_MAGIC = 'ARROW1';

function fromArrow(bytes: Uint8Array, path: string): number[] {
  const table = parseArrowFile(bytes, path, 'give an Arrow file written by memorize or any Arrow IPC file with an integer column "index" or "train_index"');
  const column = table.getChild('index') ?? table.getChild('train_index');
  if (!column) throw new UsageError(`${path} has no column "index" or "train_index"; name the column of training indices one of those`);
  return [...(column.toArray() as Iterable<number | bigint>)].map(Number);
}

function fromText(text: string, path: string): number[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (Array.isArray(parsed)) return parsed.map((v) => (typeof v === 'number' ? v : NaN));
    } catch {
      // reported below as not a list of indices
    }
    throw new UsageError(`${path} is not a JSON array of training indices, e.g. [3, 17, 42]`);
  }
  return trimmed === '' ? [] : trimmed.split(/[\s,]+/).map((word) => (/^\d+$/.test(word) ? Number(word) : NaN));
}

/** The distinct training indices listed in `path`, ascending; anything but non-negative integers is refused. */
export async function readIndexFile(path: string, flag: string): Promise<number[]> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch {
    throw new UsageError(`cannot read ${flag} file ${path}; check the path`);
  }
  const isArrow = Buffer.from(bytes.subarray(0, ARROW_MAGIC.length)).toString('latin1') === ARROW_MAGIC;
  const indices = isArrow ? fromArrow(bytes, path) : fromText(Buffer.from(bytes).toString('utf8'), path);
  const bad = indices.find((i) => !Number.isSafeInteger(i) || i < 0);
  if (bad !== undefined) throw new UsageError(`${path}: every entry must be a training index (an integer >= 0), found ${String(bad)}; list indices as JSON, text or an Arrow column`);
  return [...new Set(indices)].sort((a, b) => a - b);
}
