// Worker thread that reads one chunk-aligned range of trial files into the shared bit matrices
// (trial-matrix-cache.ts, fillSlots); replies with what the cache keeps of each trial, or the one-line UsageError.
import { parentPort, workerData } from 'node:worker_threads';
import { UsageError } from '../errors.js';
import { TrialBits } from '../estimate/trial-bits.js';
import { RunDirectory } from './run-dir.js';
import { fillSlots, type ReaderInput } from './trial-matrix-cache.js';

const input = workerData as ReaderInput;
const { n, nTest } = input.manifest.dataset;
const [subset, trainCorrect, testCorrect] = input.data;
const bits = [new TrialBits(n, input.slots, subset), new TrialBits(n, input.slots, trainCorrect), new TrialBits(nTest, input.slots, testCorrect)] as const;
try {
  parentPort!.postMessage({ infos: fillSlots(new RunDirectory(input.root), input.manifest, input.fill, [...bits]) });
} catch (error) {
  parentPort!.postMessage(error instanceof UsageError ? { usage: error.message } : { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
}
