// Worker thread of the estimator: estimates the class blocks the main thread sends (block-workers.ts) on
// the shared bit matrices, with its own instance of the SIMD kernels.
import { parentPort, workerData } from 'node:worker_threads';
import type { BlockReply, BlockWorkerInput } from './block-workers.js';
import { resultBuffers } from './block-workers.js';
import { estimateBlock, type ClassBlock, type TrialMatrix } from './estimator.js';
import { PopcountKernel } from './bit-kernels.js';
import { atLeastForRow } from './rational.js';
import { TrialBits } from './trial-bits.js';

const input = workerData as BlockWorkerInput;
const matrix: TrialMatrix = {
  trials: input.trials,
  subset: new TrialBits(input.rows, input.slots, input.subset),
  trainCorrect: new TrialBits(input.rows, input.slots, input.trainCorrect),
  testCorrect: new TrialBits(input.testRows, input.slots, input.testCorrect),
  ...(input.mask && { mask: input.mask }),
};
const kernel = new PopcountKernel(matrix.subset.stride);
const floor = atLeastForRow(input.floor);
const port = parentPort!;

port.on('message', (message: ClassBlock & { block: number }) => {
  let reply: BlockReply;
  try {
    const result = estimateBlock(kernel, matrix, message, floor);
    reply = { block: message.block, result };
    port.postMessage(reply, resultBuffers(result));
  } catch (error) {
    reply = { block: message.block, error: error instanceof Error ? error.message : String(error) };
    port.postMessage(reply);
  }
});
