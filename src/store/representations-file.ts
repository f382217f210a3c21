// "<run-dir>/probe-representations.arrow" (format "representations/1"): the linear probe's penultimate-layer
// representations of every train and test example, computed once per run and reused by every worker,
// shard and resumed run. One row per example: `split` (0 train, 1 test), `index`, `representation`.
import { Field, FixedSizeList, Float32, Int32, RecordBatch, Schema, Struct, Table, makeData, tableToIPC } from './arrow.js';
import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { writeFileAtomicIfAbsent } from './atomic.js';
import { parseArrowFile } from './tables.js';

export const REPRESENTATIONS_FORMAT = 'representations/1';

/** Feature vectors of all n train and n' test examples, example-major. */
export interface Representations {
  dim: number; // length of one vector
  train: Float32Array; // [n, dim]
  test: Float32Array; // [n', dim]
}

function encode(r: Representations, configHash: string): Uint8Array {
  const n = r.train.length / r.dim;
  const rows = n + r.test.length / r.dim;
  const values = new Float32Array(rows * r.dim);
  values.set(r.train);
  values.set(r.test, r.train.length);
  const int32 = (data: Int32Array) => makeData({ type: new Int32(), length: rows, nullCount: 0, data });
  const listType = new FixedSizeList(r.dim, new Field('item', new Float32(), false));
  const columns = [
    int32(Int32Array.from({ length: rows }, (_, i) => (i < n ? 0 : 1))),
    int32(Int32Array.from({ length: rows }, (_, i) => (i < n ? i : i - n))),
    makeData({ type: listType, length: rows, nullCount: 0, child: makeData({ type: new Float32(), length: values.length, nullCount: 0, data: values }) }),
  ];
  const fields = ['split', 'index', 'representation'].map((name, k) => new Field(name, columns[k]!.type, false));
  const schema = new Schema(fields, new Map([['memorize.format', REPRESENTATIONS_FORMAT], ['memorize.config_hash', configHash]]));
  return tableToIPC(new Table([new RecordBatch(schema, makeData({ type: new Struct(fields), length: rows, nullCount: 0, children: columns }))]), 'file');
}

function decode(bytes: Uint8Array, path: string, configHash: string, sizes: { n: number; nTest: number }): Representations {
  const remedy = 'move it out of the run directory; `memorize train` computes it again';
  const table = parseArrowFile(bytes, path, remedy);
  const meta = table.schema.metadata;
  if (meta.get('memorize.format') !== REPRESENTATIONS_FORMAT) throw new UsageError(`${path} is not a ${REPRESENTATIONS_FORMAT} file; ${remedy}`);
  if (meta.get('memorize.config_hash') !== configHash) throw new UsageError(`${path} was made with another config (hash ${(meta.get('memorize.config_hash') ?? '').slice(0, 12)}); ${remedy}`);
  const column = table.getChild('representation');
  const type: unknown = column?.type;
  if (!column || !(type instanceof FixedSizeList) || table.numRows !== sizes.n + sizes.nTest) {
    throw new UsageError(`${path} does not hold ${sizes.n} + ${sizes.nTest} representation rows; ${remedy}`);
  }
  const dim = type.listSize;
  const values = new Float32Array(table.numRows * dim);
  let row = 0;
  for (const data of column.data) {
    const child = data.children[0]!;
    values.set((child.values as Float32Array).subarray((child.offset + data.offset * dim), (child.offset + (data.offset + data.length) * dim)), row * dim);
    row += data.length;
  }
  return { dim, train: values.subarray(0, sizes.n * dim), test: values.subarray(sizes.n * dim) };
}

/** The run's representations: read from `path` if it exists, else computed, written (unless another process
 * wrote it first) and read back, so every process of a run uses the same ones whichever computed them. */
export async function readOrCreateRepresentations(path: string, configHash: string, sizes: { n: number; nTest: number }, compute: () => Representations | Promise<Representations>): Promise<Representations> {
  const read = async (): Promise<Representations | undefined> => {
    const bytes = await readFile(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    return bytes && decode(bytes, path, configHash, sizes);
  };
  const existing = await read();
  if (existing) return existing;
  const computed = await compute();
  if (await writeFileAtomicIfAbsent(path, encode(computed, configHash))) return computed;
  return (await read())!;
}
