// Structured logs: pino JSON lines into <run-dir>/logs/<command>-<host>-<pid>[-slurm<job>_<task>].jsonl (info and up),
// and warnings and errors to stderr. Data goes only to files; progress only to the terminal.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import { fileSystemError } from './store/fs-errors.js';

export type { Logger };

/** Under Slurm, the job (the array's job id for an array task) and the array task, else nothing. */
export function slurmIds(env: NodeJS.ProcessEnv): { job?: string; task?: string } {
  const job = env['SLURM_ARRAY_JOB_ID'] ?? env['SLURM_JOB_ID'];
  const task = env['SLURM_ARRAY_TASK_ID'];
  return { ...(job !== undefined && { job }), ...(task !== undefined && { task }) };
}

export function createLogger(logsDir: string, command: string): Logger {
  const slurm = slurmIds(process.env); // in the file name (train-host-pid-slurm45_2.jsonl) and every record
  const tag = slurm.job === undefined ? '' : `-slurm${slurm.job}${slurm.task === undefined ? '' : `_${slurm.task}`}`;
  const path = join(logsDir, `${command}-${hostname()}-${process.pid}${tag}.jsonl`);
  let file: pino.DestinationStream;
  try {
    mkdirSync(logsDir, { recursive: true });
    file = pino.destination({ dest: path, sync: true });
  } catch (error) {
    throw fileSystemError(error, path, 'the log file'); // a read-only run directory, or logs/ that is a plain file
  }
  const stderr = pino.destination({ dest: 2, sync: true });
  const base = { pid: process.pid, command, ...(slurm.job !== undefined && { slurm }) };
  return pino({ level: 'info', base }, pino.multistream([{ level: 'info', stream: file }, { level: 'warn', stream: stderr }]));
}
