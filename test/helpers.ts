// Shared test utilities: temporary directories, the real CLI as a child process, seeded random data,
// a brute-force Algorithm 1 straight from the paper's definition, and a check of a run's estimates against it.
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tableFromIPC } from 'apache-arrow';
import seedrandom from 'seedrandom';
import { UsageError } from '../src/errors.js';
import { writeCifarLike } from './cifar-files.js';
import { decodeTrial, type BitView } from '../src/store/trial-file.js';

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

/** Runs the CLI and asserts that it succeeded; returns its stdout. */
export function cliOk(args: string[]): string {
  const result = runCli(args);
  assert.equal(result.status, 0, `memorize ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** Writes CIFAR-10-format files into <dir>/cifar10 and trains a knn run on them into <dir>/run. */
export function trainKnnOnCifar(dir: string, sizes: { train: number; test: number; subpopulationsPerClass: number; trials: number; workers: number; seed: number }): { data: string; runDir: string } {
  const data = join(dir, 'cifar10');
  writeCifarLike(data, { variant: 'cifar10', ...sizes });
  const runDir = join(dir, 'run');
  cliOk(['train', '--dataset', 'cifar10', '--data-dir', data, '--model', 'knn', '--trials', String(sizes.trials), '--workers', String(sizes.workers), '--run-dir', runDir]);
  return { data, runDir };
}

export function randomMask(length: number, probability: number, random: () => number): Uint8Array {
  return Uint8Array.from({ length }, () => (random() < probability ? 1 : 0));
}

export function seeded(seed: string): () => number {
  return seedrandom(seed);
}

/** Algorithm 1 for one (membership, correctness) pair of columns over t trials, from the definition. */
export function bruteForceDifference(member: Uint8Array[], correct: Uint8Array[], i: number, j: number): { value: number; se: number; atLeast: (theta: number) => boolean } {
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
  // value >= theta exactly, for thresholds that are whole hundredths: (a/b - c/d) 100 >= k with integers.
  const [a, b] = nIn ? [correctIn, nIn] : [1, 2];
  const [c, d] = nOut ? [correctOut, nOut] : [1, 2];
  const atLeast = (theta: number) => (a * d - c * b) * 100 >= Math.round(theta * 100) * b * d;
  return { value: pIn - pOut, se, atLeast };
}

export const unpack = (view: BitView): Uint8Array =>
  Uint8Array.from({ length: view.length }, (_, i) => (view.bytes[(view.bitOffset + i) >> 3]! >> ((view.bitOffset + i) & 7)) & 1);

/** Every trial file of a run, in trial order: masks unpacked to 0/1 bytes, with each one's index, test accuracy and backend. */
export function readTrials(runDir: string, n: number, nTest: number) {
  const files = readdirSync(join(runDir, 'trials')).filter((f) => f.endsWith('.arrow')).sort();
  const trials = files.map((f) => decodeTrial(readFileSync(join(runDir, 'trials', f)), f, { n, nTest }));
  return {
    subset: trials.map((t) => unpack(t.subset)),
    train: trials.map((t) => unpack(t.trainCorrect)),
    test: trials.map((t) => unpack(t.testCorrect)),
    backends: trials.map((t) => t.metadata.backend),
    index: trials.map((t) => t.trial),
    testAccuracy: trials.map((t) => t.testAccuracy),
  };
}

/** One column of an Arrow file, as numbers. */
export function column(path: string, name: string): number[] {
  return [...(tableFromIPC(readFileSync(path)).getChild(name)!.toArray() as Iterable<number>)];
}

/** Asserts that a run's estimates/*.arrow equal brute-force Algorithm 1 over its trial files: mem of every
 * training example, infl of every `inflStride`-th same-class pair, and that every same-class pair is there (with
 * `floor`: exactly the same-class pairs with infl >= floor, in the estimator's order: by class, then i, then j);
 * over the trials `keep` accepts (every one without it). */
export function assertEstimatesMatchBruteForce(runDir: string, inflStride = 7, keep: (trial: number) => boolean = () => true, floor: number | null = null): void {
  const trainLabels = column(join(runDir, 'train-examples.arrow'), 'label');
  const testLabels = column(join(runDir, 'test-examples.arrow'), 'label');
  const all = readTrials(runDir, trainLabels.length, testLabels.length);
  const kept = <T>(rows: T[]): T[] => rows.filter((_, slot) => keep(all.index[slot]!));
  const trials = { subset: kept(all.subset), train: kept(all.train), test: kept(all.test) };
  const mem = column(join(runDir, 'estimates', 'memorization.arrow'), 'mem');
  assert.equal(mem.length, trainLabels.length);
  for (let i = 0; i < mem.length; i++) assert.ok(Math.abs(mem[i]! - bruteForceDifference(trials.subset, trials.train, i, i).value) < 1e-5, `mem[${i}]`);
  const inflPath = join(runDir, 'estimates', 'influence.arrow');
  const [trainIndex, testIndex, infl] = ['train_index', 'test_index', 'infl'].map((c) => column(inflPath, c));
  if (floor === null) {
    const sameClass = trainLabels.reduce((sum, y) => sum + testLabels.filter((z) => z === y).length, 0);
    assert.equal(infl!.length, sameClass, 'every same-class pair is in influence.arrow');
  } else {
    const expected: string[] = [];
    const classes = Math.max(...trainLabels) + 1;
    for (let c = 0; c < classes; c++) {
      for (let i = 0; i < trainLabels.length; i++) {
        if (trainLabels[i] !== c) continue;
        for (let j = 0; j < testLabels.length; j++) if (testLabels[j] === c && bruteForceDifference(trials.subset, trials.test, i, j).atLeast(floor)) expected.push(`${i},${j}`);
      }
    }
    assert.deepEqual(Array.from(infl!, (_, r) => `${trainIndex![r]},${testIndex![r]}`), expected, `influence.arrow holds exactly the same-class pairs with infl >= ${floor}`);
  }
  for (let r = 0; r < infl!.length; r += inflStride) {
    const expected = bruteForceDifference(trials.subset, trials.test, trainIndex![r]!, testIndex![r]!).value;
    assert.ok(Math.abs(infl![r]! - expected) < 1e-5, `infl row ${r}`);
  }
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
