// apache-arrow as the store modules use it, loaded from the package's own single-file build (Arrow.esnext.min.js,
// its CDN bundle: the same version and exports) rather than its ESM build of ~300 modules: 0.02 s to load against
// 0.11 s, in every process and worker thread that reads or writes Arrow (scripts/BENCHMARKS.md, change 11).
import { createRequire } from 'node:module';
import type * as Arrow from 'apache-arrow';

const arrow = createRequire(import.meta.url)('apache-arrow/Arrow.esnext.min') as typeof Arrow;

export const { Bool, DataType, Field, FixedSizeList, Float32, Float64, Int32, RecordBatch, Schema, Struct, Table, Uint32, makeData, tableFromIPC, tableToIPC } = arrow;
export type DataType = Arrow.DataType;
export type Table = Arrow.Table;
export type { Data, Vector } from 'apache-arrow';
