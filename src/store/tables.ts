// Plain columnar Arrow tables (estimates, pairs, example labels): typed arrays in, typed arrays out.
// Written uncompressed in the IPC file format, which pyarrow, polars and DuckDB read directly.
import { readFile } from 'node:fs/promises';
import { DataType, Field, Float32, Float64, Int32, RecordBatch, Schema, Struct, Table, makeData, tableFromIPC, tableToIPC, type Data, type Vector } from './arrow.js';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';

export type Column = Int32Array | Float32Array | Float64Array;
export type Columns = Record<string, Column>;

const ARROW_MAGIC = 'ARROW1';

/** Arrow data of one column, typed by its array. */
function columnData(column: Column): Data {
  const base = { length: column.length, nullCount: 0 };
  if (column instanceof Int32Array) return makeData({ ...base, type: new Int32(), data: column });
  if (column instanceof Float32Array) return makeData({ ...base, type: new Float32(), data: column });
  return makeData({ ...base, type: new Float64(), data: column });
}

/** Builds a one-batch table from equal-length columns. */
export function columnsToTable(columns: Columns, metadata: Record<string, string> = {}): Table {
  const entries = Object.entries(columns);
  const length = entries[0]?.[1].length ?? 0;
  const children = entries.map(([, column]) => columnData(column));
  const fields = entries.map(([name], k) => new Field(name, children[k]!.type, false));
  const schema = new Schema(fields, new Map(Object.entries(metadata)));
  return new Table([new RecordBatch(schema, makeData({ type: new Struct(fields), length, nullCount: 0, children }))]);
}

/** The Arrow IPC file of a one-batch table of these columns. */
export function encodeColumns(columns: Columns, metadata: Record<string, string> = {}): Uint8Array {
  return tableToIPC(columnsToTable(columns, metadata), 'file');
}

export async function writeColumns(path: string, columns: Columns, metadata: Record<string, string> = {}): Promise<void> {
  await writeFileAtomic(path, encodeColumns(columns, metadata));
}

/** Parses an Arrow IPC file, or throws a one-line UsageError naming it. */
export function parseArrowFile(bytes: Uint8Array, path: string, remedy: string): Table {
  const head = Buffer.from(bytes.subarray(0, ARROW_MAGIC.length)).toString('latin1');
  const tail = Buffer.from(bytes.subarray(bytes.length - ARROW_MAGIC.length)).toString('latin1');
  if (head !== ARROW_MAGIC || tail !== ARROW_MAGIC) throw new UsageError(`${path} is not an Arrow IPC file; ${remedy}`);
  try {
    return tableFromIPC(bytes);
  } catch (error) {
    throw new UsageError(`${path} is a corrupt Arrow file (${String((error as Error).message).split('\n')[0]}); ${remedy}`);
  }
}

/** A column's values as Int32Array or a float array. Integer columns of any width (pyarrow's int64, say)
 * become Int32Array, or are refused if a value does not fit; nulls and other types are refused. */
function columnValues(vector: Vector, path: string, name: string, remedy: string): Column {
  if (vector.nullCount > 0) throw new UsageError(`${path}: column "${name}" has ${vector.nullCount} nulls; ${remedy}`);
  const values: unknown = vector.toArray();
  if (values instanceof Int32Array || values instanceof Float32Array || values instanceof Float64Array) return values;
  if (!DataType.isInt(vector.type)) throw new UsageError(`${path}: column "${name}" has type ${String(vector.type)}, expected integers or floats; ${remedy}`);
  const source = values as ArrayLike<number | bigint>;
  const out = new Int32Array(source.length);
  for (let i = 0; i < source.length; i++) {
    const value = Number(source[i]!);
    if (value < -(2 ** 31) || value >= 2 ** 31) throw new UsageError(`${path}: column "${name}" holds ${value} at row ${i}, outside the int32 range; ${remedy}`);
    out[i] = value;
  }
  return out;
}

/** Reads the named columns (all must exist) and those of `optionalNames` that exist of an Arrow file
 * written by writeColumns (or by another program). */
export async function readColumns<K extends string>(
  path: string,
  names: readonly K[],
  remedy: string,
  optionalNames: readonly string[] = [],
): Promise<{ columns: Record<K, Column>; optional: Partial<Record<string, Column>>; metadata: Map<string, string> }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch {
    throw new UsageError(`cannot read ${path}; ${remedy}`);
  }
  const table = parseArrowFile(bytes, path, remedy);
  const columns = {} as Record<K, Column>;
  for (const name of names) {
    const vector = table.getChild(name);
    if (!vector) throw new UsageError(`${path} has no column "${name}"; ${remedy}`);
    columns[name] = columnValues(vector, path, name, remedy);
  }
  const optional: Partial<Record<string, Column>> = {};
  for (const name of optionalNames) {
    const vector = table.getChild(name);
    if (vector) optional[name] = columnValues(vector, path, name, remedy);
  }
  return { columns, optional, metadata: table.schema.metadata };
}
