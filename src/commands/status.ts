// `memorize status`: where a run stands, from its files alone (any process may read it while others train):
// finished of requested, the missing trial ranges, claims in flight with holder and age, the rate and ETA
// from the trial files' times, and the failures and retries the logs record.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { RunDirectory } from '../store/run-dir.js';
import { listClaims, type ClaimHolder } from '../train/claims.js';

export interface StatusOptions {
  runDir: string;
  now?: number; // ms since the epoch, for tests
}

export interface ClaimStatus {
  trial: number;
  holder: ClaimHolder;
  ageSeconds: number; // since claimed
  renewedSecondsAgo: number;
  stale: boolean; // its holder is gone or its lease expired: the next process takes it over
}

export interface RunStatus {
  runDir: string;
  requested: number;
  finished: number; // trial files of trials 0..requested-1
  missing: string; // ranges of the trials without a file, "3-5, 9"; '' when none
  claims: ClaimStatus[];
  trialsPerMinute: number; // over the last hour of trial files (or all of them); NaN with fewer than 2
  etaSeconds: number; // missing / rate; NaN when unknown, 0 when complete
  failures: { trial: number; failure: string }[]; // 'trial failed' records of trials still without a file
  retries: number; // 'retry' records: trials put on a fresh worker after a crash or a stall
}

/** "0-3, 7, 9-10" for sorted trial indices. */
export function formatRanges(trials: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < trials.length; ) {
    let j = i;
    while (j + 1 < trials.length && trials[j + 1] === trials[j]! + 1) j++;
    parts.push(i === j ? `${trials[i]}` : `${trials[i]}-${trials[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

/** Log records (JSON lines) of every log file of the run; lines that do not parse are skipped. */
async function readLogRecords(logsDir: string): Promise<Record<string, unknown>[]> {
  const names = await readdir(logsDir).catch(() => [] as string[]);
  const records: Record<string, unknown>[] = [];
  for (const name of names.filter((n) => n.endsWith('.jsonl'))) {
    for (const line of (await readFile(join(logsDir, name), 'utf8')).split('\n')) {
      try {
        if (line.trim() !== '') records.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // a line being written this very moment
      }
    }
  }
  return records;
}

const HOUR_MS = 3_600_000;

export async function status(options: StatusOptions): Promise<RunStatus> {
  const now = options.now ?? Date.now();
  const runDir = new RunDirectory(options.runDir);
  const manifest = await runDir.readManifest();
  const requested = manifest.trials;
  const files = [...(await runDir.listTrials())].filter(([trial]) => trial < requested);
  const done = new Set(files.map(([trial]) => trial));
  const missing = Array.from({ length: requested }, (_, k) => k).filter((k) => !done.has(k));

  const times = (await Promise.all(files.map(([, path]) => stat(path).then((s) => s.mtimeMs, () => NaN)))).filter(Number.isFinite).sort((a, b) => a - b);
  const last = times[times.length - 1];
  const recent = last === undefined ? [] : times.filter((t) => t >= last - HOUR_MS);
  const span = recent.length >= 2 ? (recent[recent.length - 1]! - recent[0]!) / 60_000 : 0;
  const trialsPerMinute = span > 0 ? (recent.length - 1) / span : NaN;

  const claims = (await listClaims(options.runDir)).map((c) => ({
    trial: c.trial,
    holder: c.holder,
    ageSeconds: (now - Date.parse(c.claimedAt)) / 1000,
    renewedSecondsAgo: (now - c.renewedMs) / 1000,
    stale: c.stale,
  }));

  const records = await readLogRecords(runDir.logsDir);
  const failures = new Map<number, string>();
  for (const r of records) if (r['msg'] === 'trial failed' && typeof r['trial'] === 'number' && !done.has(r['trial'])) failures.set(r['trial'], String(r['failure']));
  const retries = records.filter((r) => r['msg'] === 'retry' && Array.isArray(r['trials'])).reduce((sum, r) => sum + Math.max(1, (r['trials'] as unknown[]).length), 0);

  return {
    runDir: options.runDir,
    requested,
    finished: done.size,
    missing: formatRanges(missing),
    claims,
    trialsPerMinute,
    etaSeconds: missing.length === 0 ? 0 : missing.length / trialsPerMinute * 60,
    failures: [...failures].map(([trial, failure]) => ({ trial, failure })).sort((a, b) => a.trial - b.trial),
    retries,
  };
}
