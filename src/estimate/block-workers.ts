// Class blocks spread over worker threads: each worker (block-worker.ts) gets the bit matrices once, on
// their SharedArrayBuffers, then estimates one block per message; results come back as transferred buffers.
import { Worker } from 'node:worker_threads';
import type { BlockEstimates, ClassBlock, TrialMatrix } from './estimator.js';

/** What a worker starts with: the matrices (shared, not copied) and the floor. */
export interface BlockWorkerInput {
  trials: number;
  slots: number;
  rows: number;
  testRows: number;
  subset: Uint32Array;
  trainCorrect: Uint32Array;
  testCorrect: Uint32Array;
  mask?: Uint32Array;
  floor: number;
}

export type BlockReply = { block: number; result: BlockEstimates } | { block: number; error: string };

/** Every column buffer of a block's result, to transfer rather than copy. */
export function resultBuffers(result: BlockEstimates): ArrayBuffer[] {
  const columns: (Int32Array | Float32Array | Float64Array)[] = [...(Object.values(result.memo) as Float64Array[]), ...(Object.values(result.influence) as (Int32Array | Float32Array)[])];
  return columns.map((column) => column.buffer as ArrayBuffer);
}

export async function estimateBlocksOnWorkers(matrix: TrialMatrix, blocks: readonly ClassBlock[], floor: number, threads: number): Promise<BlockEstimates[]> {
  const input: BlockWorkerInput = {
    trials: matrix.trials,
    slots: matrix.subset.trials,
    rows: matrix.subset.rows,
    testRows: matrix.testCorrect.rows,
    subset: matrix.subset.data,
    trainCorrect: matrix.trainCorrect.data,
    testCorrect: matrix.testCorrect.data,
    ...(matrix.mask && { mask: matrix.mask }),
    floor,
  };
  const results = new Array<BlockEstimates>(blocks.length);
  const workers = Array.from({ length: threads }, () => new Worker(new URL('./block-worker.js', import.meta.url), { workerData: input }));
  let next = 0;
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const send = (): void => {
              if (next === blocks.length) return resolve();
              const block = next++;
              worker.postMessage({ block, ...blocks[block]! });
            };
            worker.on('message', (reply: BlockReply) => {
              if ('error' in reply) return reject(new Error(`estimator worker, block ${reply.block}: ${reply.error}`));
              results[reply.block] = reply.result;
              send();
            });
            worker.on('error', reject);
            worker.on('exit', (code) => (next < blocks.length || code !== 0) && reject(new Error(`estimator worker exited with code ${code}`)));
            send();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
  return results;
}
