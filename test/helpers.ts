// Shared test utilities: temporary directories, the real CLI as a child process, seeded random data,
// and a brute-force Algorithm 1 straight from the paper's definition.
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import seedrandom from 'seedrandom';
import { UsageError } from '../src/errors.js';

export const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

let root: string | undefined;

/** A fresh directory under one per-process root that is removed when the process exits. */
export function tempDir(): string {
  if (root === undefined) {
    const made = mkdtempSync(join(tmpdir(), 'memorize-test-'));
    process.on('exit', () => rmSync(made, { recursive: true, force: true }));
    root = made;
  }
  return mkdtempSync(join(root, 'd-'));
}

/** Asserts that `promise` rejects with a one-line UsageError whose message contains every part. */
export async function rejectsUsage(promise: Promise<unknown>, ...parts: string[]): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof UsageError, `not a UsageError: ${String(error)}`);
    assert.ok(!error.message.includes('\n'), `message has several lines: ${error.message}`);
    for (const part of parts) assert.ok(error.message.includes(part), `"${part}" not in: ${error.message}`);
    return true;
  });
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 600_000 });
}

export function randomMask(length: number, probability: number, random: () => number): Uint8Array {
  return Uint8Array.from({ length }, () => (random() < probability ? 1 : 0));
}

export function seeded(seed: string): () => number {
  return seedrandom(seed);
}

/** Algorithm 1 for one (membership, correctness) pair of columns over t trials, from the definition. */
export function bruteForceDifference(member: Uint8Array[], correct: Uint8Array[], i: number, j: number): { value: number; se: number } {
  let nIn = 0;
  let nOut = 0;
  let correctIn = 0;
  let correctOut = 0;
  for (let k = 0; k < member.length; k++) {
    if (member[k]![i]) {
      nIn++;
      correctIn += correct[k]![j]!;
    } else {
      nOut++;
      correctOut += correct[k]![j]!;
    }
  }
  const pIn = nIn ? correctIn / nIn : 0.5;
  const pOut = nOut ? correctOut / nOut : 0.5;
  const se = nIn && nOut ? Math.sqrt((pIn * (1 - pIn)) / nIn + (pOut * (1 - pOut)) / nOut) : NaN;
  return { value: pIn - pOut, se };
}

/** What a finished CLI process returned. */
export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The real CLI as a child process that the caller may also kill; `done` resolves when it exits. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; done: Promise<CliResult>; stderrHas: (text: string) => Promise<void> } {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiting: { text: string; resolve: () => void }[] = [];
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const w of waiting.filter((x) => stderr.includes(x.text))) w.resolve();
  });
  const done = new Promise<CliResult>((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
  const stderrHas = (text: string): Promise<void> =>
    stderr.includes(text)
      ? Promise.resolve()
      : new Promise<void>((resolve, reject) => {
          waiting.push({ text, resolve });
          void done.then((r) => reject(new Error(`exited (${r.status}) before printing "${text}": ${r.stderr}`)));
        });
  return { child, done, stderrHas };
}

/** The real CLI, run asynchronously (several at once). */
export function runCliAsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return startCli(args, env).done;
}

/** Asserts a refusal: exit 2 and exactly one line on stderr besides train's start line, matching `message`,
 * with no stack trace. */
export function assertOneLine(result: CliResult, message: RegExp, what = ''): void {
  assert.equal(result.status, 2, `${what} exit ${result.status}: ${result.stderr}`);
  const lines = result.stderr.trim().split('\n').filter((line) => !line.startsWith('memorize train: '));
  assert.equal(lines.length, 1, `${what} one line: ${result.stderr}`);
  assert.doesNotMatch(result.stderr, /\n\s+at /, `${what} no stack trace`);
  assert.match(result.stderr, message, what);
}
