// CSV files of typed-array columns (a header row, then one row per example or pair), for spreadsheets and
// any CSV reader. Float32 values keep 9 significant digits, enough to read back the same float32; NaN is "NaN".
import { writeFileAtomic } from './atomic.js';
import type { Columns } from './tables.js';

const cell = (column: Columns[string], row: number): string => {
  const value = column[row]!;
  if (Number.isNaN(value)) return 'NaN';
  return column instanceof Float32Array ? String(Number(value.toPrecision(9))) : String(value);
};

export async function writeCsv(path: string, columns: Columns): Promise<void> {
  const entries = Object.entries(columns);
  const rows = entries[0]?.[1].length ?? 0;
  const lines = [entries.map(([name]) => name).join(',')];
  for (let r = 0; r < rows; r++) lines.push(entries.map(([, column]) => cell(column, r)).join(','));
  await writeFileAtomic(path, `${lines.join('\n')}\n`);
}
