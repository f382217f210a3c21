// Structured logs: pino JSON lines into <run-dir>/logs/<command>-<host>-<pid>.jsonl (info and up),
// and warnings and errors to stderr. Data goes only to files; progress only to the terminal.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import { fileSystemError } from './store/fs-errors.js';

export type { Logger };

export function createLogger(logsDir: string, command: string): Logger {
  const path = join(logsDir, `${command}-${hostname()}-${process.pid}.jsonl`);
  let file: pino.DestinationStream;
  try {
    mkdirSync(logsDir, { recursive: true });
    file = pino.destination({ dest: path, sync: true });
  } catch (error) {
    throw fileSystemError(error, path, 'the log file'); // a read-only run directory, or logs/ that is a plain file
  }
  const stderr = pino.destination({ dest: 2, sync: true });
  return pino({ level: 'info', base: { pid: process.pid, command } }, pino.multistream([{ level: 'info', stream: file }, { level: 'warn', stream: stderr }]));
}
