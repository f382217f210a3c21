// Parquet files (through hyparquet-writer) for DuckDB, pandas and polars, which read them with no extension:
// typed-array columns in, one atomically written file out.
import { parquetWriteBuffer } from 'hyparquet-writer';
import { writeFileAtomic } from './atomic.js';
import type { Columns } from './tables.js';

const PARQUET_TYPE = (column: Columns[string]): 'INT32' | 'FLOAT' | 'DOUBLE' => (column instanceof Int32Array ? 'INT32' : column instanceof Float32Array ? 'FLOAT' : 'DOUBLE');

export async function writeParquet(path: string, columns: Columns, metadata: Record<string, string> = {}): Promise<void> {
  const buffer = parquetWriteBuffer({
    columnData: Object.entries(columns).map(([name, data]) => ({ name, data, type: PARQUET_TYPE(data), nullable: false })),
    kvMetadata: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    createdBy: 'memorize',
  });
  await writeFileAtomic(path, new Uint8Array(buffer));
}
