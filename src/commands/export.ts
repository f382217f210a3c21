// `memorize export`: a run's estimates (and pairs) as files other tools read without Arrow: .npz in the
// authors' released layout (numpy alone), Parquet (DuckDB, pandas, polars), CSV (memorization and pairs).
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { writeCsv } from '../store/csv.js';
import { writeNpzFile, type NpzEntry } from '../store/npy.js';
import { writeParquet } from '../store/parquet.js';
import { RunDirectory } from '../store/run-dir.js';
import { readColumns, type Columns } from '../store/tables.js';

export const EXPORT_FORMATS = ['npz', 'parquet', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportOptions {
  runDir: string;
  format: ExportFormat;
  outDir?: string; // default <run-dir>/export
}

export interface ExportResult {
  files: string[];
}

/** The authors' CIFAR-100 estimates layout: tr_labels, tt_labels, tr_mem, and per class c the influence
 * matrix infl_matrix_class{c} [train examples of c, test examples of c] with their indices tr_classidx_{c},
 * tt_classidx_{c}. Added: tr_mem_se. Pairs that influence.arrow left out (below its floor) are NaN. */
function authorsLayout(memo: Columns, influence: Columns, trainLabels: Int32Array, testLabels: Int32Array, numClasses: number): Record<string, NpzEntry> {
  const arrays: Record<string, NpzEntry> = {
    tr_labels: { data: trainLabels, shape: [trainLabels.length] },
    tt_labels: { data: testLabels, shape: [testLabels.length] },
    tr_mem: { data: Float32Array.from(memo['mem']!), shape: [trainLabels.length] },
    tr_mem_se: { data: Float32Array.from(memo['se']!), shape: [trainLabels.length] },
  };
  const position = (labels: Int32Array): { members: Int32Array[]; rank: Int32Array } => {
    const members = Array.from({ length: numClasses }, (_, c) => Int32Array.from(labels.keys()).filter((i) => labels[i] === c));
    const rank = new Int32Array(labels.length);
    for (const list of members) list.forEach((i, r) => (rank[i] = r));
    return { members, rank };
  };
  const train = position(trainLabels);
  const test = position(testLabels);
  const matrices = train.members.map((list, c) => new Float32Array(list.length * test.members[c]!.length).fill(NaN));
  const [trainIndex, testIndex, infl] = [influence['train_index']!, influence['test_index']!, influence['infl']!];
  for (let r = 0; r < infl.length; r++) {
    const i = trainIndex[r]!;
    const j = testIndex[r]!;
    const c = trainLabels[i]!;
    matrices[c]![train.rank[i]! * test.members[c]!.length + test.rank[j]!] = infl[r]!;
  }
  for (let c = 0; c < numClasses; c++) {
    arrays[`infl_matrix_class${c}`] = { data: matrices[c]!, shape: [train.members[c]!.length, test.members[c]!.length] };
    arrays[`tr_classidx_${c}`] = { data: train.members[c]!, shape: [train.members[c]!.length] };
    arrays[`tt_classidx_${c}`] = { data: test.members[c]!, shape: [test.members[c]!.length] };
  }
  return arrays;
}

export async function exportRun(options: ExportOptions): Promise<ExportResult> {
  const runDir = new RunDirectory(options.runDir);
  const manifest = await runDir.readManifest();
  const outDir = options.outDir ?? runDir.path('export');
  const remedy = `run \`memorize estimate --run-dir ${runDir.root}\` first`;
  const memo = (await readColumns(join(runDir.estimatesDir, 'memorization.arrow'), ['index', 'label', 'mem', 'se', 'n_in', 'n_out'], remedy)).columns;
  const influenceFile = await readColumns(join(runDir.estimatesDir, 'influence.arrow'), ['train_index', 'test_index', 'label', 'infl', 'se'], remedy);
  const pairsPath = runDir.path('pairs.arrow');
  const hasPairs = await stat(pairsPath).then(() => true, () => false);
  const pairs = hasPairs ? (await readColumns(pairsPath, ['train_index', 'test_index', 'label', 'mem', 'infl', 'se'], `run \`memorize pairs --run-dir ${runDir.root}\` again`)).columns : undefined;
  const metadata = { 'memorize.config_hash': manifest.configHash, 'memorize.trials': influenceFile.metadata.get('memorize.trials') ?? '', 'memorize.influence_floor': influenceFile.metadata.get('memorize.influence_floor') ?? 'none' };
  await mkdir(outDir, { recursive: true });
  const files: string[] = [];
  const out = (name: string): string => {
    const path = join(outDir, name);
    files.push(path);
    return path;
  };
  if (options.format === 'npz') {
    const trainLabels = (await runDir.readExamples('train', manifest)).label;
    const testLabels = (await runDir.readExamples('test', manifest)).label;
    await writeNpzFile(out('estimates.npz'), authorsLayout(memo, influenceFile.columns, trainLabels, testLabels, manifest.dataset.numClasses));
  } else if (options.format === 'parquet') {
    await writeParquet(out('memorization.parquet'), memo, metadata);
    await writeParquet(out('influence.parquet'), influenceFile.columns, metadata);
    if (pairs) await writeParquet(out('pairs.parquet'), pairs, metadata);
  } else if (options.format === 'csv') {
    await writeCsv(out('memorization.csv'), memo);
    if (pairs) await writeCsv(out('pairs.csv'), pairs);
  } else {
    throw new UsageError(`--format must be one of ${EXPORT_FORMATS.join(', ')}, got ${JSON.stringify(options.format)}`);
  }
  return { files };
}
