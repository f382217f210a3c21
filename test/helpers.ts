// Shared test utilities: temporary directories, the real CLI as a child process, seeded random data,
// and a brute-force Algorithm 1 straight from the paper's definition.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import seedrandom from 'seedrandom';
import { UsageError } from '../src/errors.js';
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

const unpack = (view: BitView): Uint8Array =>
  Uint8Array.from({ length: view.length }, (_, i) => (view.bytes[(view.bitOffset + i) >> 3]! >> ((view.bitOffset + i) & 7)) & 1);

/** Every trial file of a run (by file name order), its masks unpacked to one byte per example. */
export function readTrials(runDir: string, n: number, nTest: number) {
  const files = readdirSync(join(runDir, 'trials')).filter((f) => f.endsWith('.arrow')).sort();
  const trials = files.map((f) => decodeTrial(readFileSync(join(runDir, 'trials', f)), f, { n, nTest }));
  return { index: trials.map((t) => t.trial), subset: trials.map((t) => unpack(t.subset)), train: trials.map((t) => unpack(t.trainCorrect)), test: trials.map((t) => unpack(t.testCorrect)), testAccuracy: trials.map((t) => t.testAccuracy) };
}
