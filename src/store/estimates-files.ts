// The estimates (format "estimates/3") and pairs (format "pairs/2") files as generations: every file of one
// `memorize estimate` names the same random generation id and the set of trials it used, and pairs.json the
// sha256 of pairs.arrow, so a reader takes files that belong together or refuses them in one line. Kills
// and full disks leave an old generation whole, or a mixed set that every reader refuses.
import { createHash, randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { removeFile, writeFileAtomic, writeFilesAtomic } from './atomic.js';
import { fileSystemError } from './fs-errors.js';
import type { RunDirectory, RunManifest } from './run-dir.js';
import { encodeColumns, readColumns, type Column, type Columns } from './tables.js';

/** estimates/3 added the counts (correct_in, correct_out) that thresholds are decided on exactly. */
export const ESTIMATES_FORMAT = 'estimates/3';
export const PAIRS_FORMAT = 'pairs/2';

/** "0-5,7,9-11" for trials 0..5, 7, 9..11 (ascending). */
export function formatTrialSet(trials: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < trials.length; ) {
    let j = i;
    while (j + 1 < trials.length && trials[j + 1] === trials[j]! + 1) j++;
    parts.push(i === j ? String(trials[i]) : `${trials[i]}-${trials[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

function parseTrialSet(text: string): number[] | undefined {
  const trials: number[] = [];
  for (const part of text.split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!match || Number(match[2] ?? match[1]) - Number(match[1]) > 100_000_000) return undefined;
    for (let k = Number(match[1]), end = Number(match[2] ?? match[1]); k <= end; k++) trials.push(k);
  }
  return trials;
}

export interface EstimatesToWrite {
  memorization: Columns;
  influence: Columns;
  trials: readonly number[]; // the trial indices used, ascending
  influenceFloor: number | null; // null when every same-class pair is kept
  trialRange: string; // the --trials range asked for (FIRST:LAST), or all
}

/** Writes memorization.arrow and influence.arrow as one new generation; returns its id. */
export async function writeEstimates(runDir: RunDirectory, manifest: RunManifest, estimates: EstimatesToWrite): Promise<string> {
  const generation = randomUUID();
  const metadata = {
    'memorize.format': ESTIMATES_FORMAT,
    'memorize.generation': generation,
    'memorize.trials': String(estimates.trials.length),
    'memorize.trial_set': formatTrialSet(estimates.trials),
    'memorize.config_hash': manifest.configHash,
    'memorize.influence_floor': estimates.influenceFloor === null ? 'none' : String(estimates.influenceFloor),
    'memorize.trial_range': estimates.trialRange,
  };
  await mkdir(runDir.estimatesDir, { recursive: true }).catch((error: unknown) => {
    throw fileSystemError(error, runDir.estimatesDir, 'a directory');
  });
  await writeFilesAtomic([
    { path: join(runDir.estimatesDir, 'memorization.arrow'), data: encodeColumns(estimates.memorization, metadata) },
    { path: join(runDir.estimatesDir, 'influence.arrow'), data: encodeColumns(estimates.influence, metadata) },
  ]);
  return generation;
}

const MEMORIZATION_COLUMNS = ['label', 'mem', 'se', 'n_in', 'n_out', 'correct_in', 'correct_out'] as const;
const INFLUENCE_COLUMNS = ['train_index', 'test_index', 'label', 'infl', 'se', 'ci_low', 'ci_high', 'correct_in', 'correct_out'] as const;

/** One generation of estimates as read back and checked. */
export interface StoredEstimates {
  mem: Float64Array; // [n]
  memorization: Record<(typeof MEMORIZATION_COLUMNS)[number], Column>;
  influence: Record<(typeof INFLUENCE_COLUMNS)[number], Column>;
  trials: number[]; // the trials the estimates used
  generation: string;
  influenceFloor: number | null;
  trialRange: string; // the --trials range the estimate was asked for, or all
}

/** Reads both estimates files and refuses, in one line, a set of an older format (without the counts), one
 * that does not belong together, belongs to another run, or used trials that are no longer in trials/. */
export async function readEstimates(runDir: RunDirectory, manifest: RunManifest, finished: ReadonlyMap<number, string>): Promise<StoredEstimates> {
  const rerun = `run \`memorize estimate --run-dir ${runDir.root}\``;
  const memPath = join(runDir.estimatesDir, 'memorization.arrow');
  const inflPath = join(runDir.estimatesDir, 'influence.arrow');
  // Columns read as optional, so that an older file (which lacks some) is refused for its format, which says why.
  const read = async <K extends string>(path: string, names: readonly K[]): Promise<{ columns: Record<K, Column>; metadata: Map<string, string> }> => {
    const { optional, metadata } = await readColumns(path, [], `${rerun} first`, names);
    const format = metadata.get('memorize.format');
    if (format !== ESTIMATES_FORMAT) throw new UsageError(`${path} has format ${JSON.stringify(format ?? null)}, not ${ESTIMATES_FORMAT} (older estimates lack the generation that shows the files belong together, or the counts thresholds are decided on); ${rerun} again`);
    const missing = names.find((name) => optional[name] === undefined);
    if (missing !== undefined) throw new UsageError(`${path} has no column "${missing}"; ${rerun} again`);
    return { columns: optional as Record<K, Column>, metadata };
  };
  const memFile = await read(memPath, MEMORIZATION_COLUMNS);
  const inflFile = await read(inflPath, INFLUENCE_COLUMNS);
  for (const [path, file] of [[memPath, memFile], [inflPath, inflFile]] as const) {
    if (file.metadata.get('memorize.config_hash') !== manifest.configHash) throw new UsageError(`${path} belongs to another run (config hash ${(file.metadata.get('memorize.config_hash') ?? '').slice(0, 12)}); ${rerun} again`);
  }
  const generation = memFile.metadata.get('memorize.generation') ?? '';
  if (inflFile.metadata.get('memorize.generation') !== generation) {
    throw new UsageError(`${memPath} and influence.arrow come from two different estimates (one was interrupted, or a file was copied in); ${rerun} again`);
  }
  const trials = parseTrialSet(memFile.metadata.get('memorize.trial_set') ?? '');
  if (!trials || trials.length !== Number(memFile.metadata.get('memorize.trials'))) throw new UsageError(`${memPath} has no valid trial set in its metadata; ${rerun} again`);
  const gone = trials.find((k) => !finished.has(k));
  if (gone !== undefined) throw new UsageError(`the estimates used trial ${gone}, which is no longer in ${runDir.trialsDir}; ${rerun} again`);
  const mem = memFile.columns.mem as Float64Array;
  if (mem.length !== manifest.dataset.n) throw new UsageError(`${memPath} has ${mem.length} rows, the run has n = ${manifest.dataset.n}; ${rerun} again`);
  const floor = inflFile.metadata.get('memorize.influence_floor');
  return { mem, memorization: memFile.columns, influence: inflFile.columns, trials, generation, influenceFloor: floor === undefined || floor === 'none' ? null : Number(floor), trialRange: memFile.metadata.get('memorize.trial_range') ?? 'all' };
}

/** Writes pairs.arrow and pairs.json so that a pairs.json always describes the pairs.arrow beside it: pairs.json
 * goes first (a reader then finds none), then the new pairs.arrow, then pairs.json with pairs.arrow's sha256. */
export async function writePairs(runDir: RunDirectory, manifest: RunManifest, generation: string, selected: Columns, summary: object): Promise<void> {
  const arrowPath = runDir.path('pairs.arrow');
  const jsonPath = runDir.path('pairs.json');
  const bytes = encodeColumns(selected, { 'memorize.format': PAIRS_FORMAT, 'memorize.config_hash': manifest.configHash, 'memorize.estimates_generation': generation });
  await removeFile(jsonPath);
  await writeFileAtomic(arrowPath, bytes);
  const json = { format: PAIRS_FORMAT, ...summary, estimatesGeneration: generation, pairsArrowSha256: createHash('sha256').update(bytes).digest('hex') };
  await writeFileAtomic(jsonPath, `${JSON.stringify(json, null, 2)}\n`);
}
