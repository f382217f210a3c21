// Worker thread that reads one range of trial files into the shared bit matrices (trial-fill.ts, fillSlots);
// replies with what the cache keeps of each trial, or the one-line UsageError. It loads no apache-arrow
// unless a file is not of the run's layout.
import { parentPort, workerData } from 'node:worker_threads';
import { UsageError } from '../errors.js';
import { TrialBits } from '../estimate/trial-bits.js';
import { fillSlots, type ReaderInput, type RunBits } from './trial-fill.js';

const input = workerData as ReaderInput;
const { n, nTest } = input.manifest.dataset;
const [subset, trainCorrect, testCorrect] = input.data;
const bits: RunBits = [new TrialBits(n, input.slots, subset), new TrialBits(n, input.slots, trainCorrect), new TrialBits(nTest, input.slots, testCorrect)];
try {
  parentPort!.postMessage({ infos: await fillSlots(input, input.fill, bits) });
} catch (error) {
  parentPort!.postMessage(error instanceof UsageError ? { usage: error.message } : { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
}
