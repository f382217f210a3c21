// Entry point of a worker process: sets up once, then runs the groups of trials the parent sends, one at a time,
// reporting each epoch. SIGTERM and SIGINT are the parent's to handle (it decides what may finish); a worker
// whose parent is gone (closed channel, or a new parent pid, checked after every training step) stops.
import { UsageError } from '../errors.js';
import { TrialExecutor } from './executor.js';
import { runGroup, type WorkerReply, type WorkerRequest } from './runner.js';
import { setTrainingHooks } from './training-hooks.js';

let executor: TrialExecutor | undefined;
const parent = process.ppid;

function reply(message: WorkerReply): void {
  if (process.connected) process.send?.(message);
}

function failed(error: unknown): void {
  const usage = error instanceof UsageError;
  reply({ type: 'failed', usage, message: usage ? error.message : String((error as Error).stack ?? error) });
}

async function handle(request: WorkerRequest): Promise<void> {
  if (request.type === 'setup') {
    executor = await TrialExecutor.create(request.setup);
    reply({ type: 'ready' });
  } else if (request.type === 'run') {
    if (!executor) throw new Error('worker asked to run a trial before setup');
    reply({ type: 'done', trials: await runGroup(executor, request.trials) });
  } else {
    executor?.dispose();
    process.disconnect();
  }
}

setTrainingHooks({
  afterStep: () => {
    if (process.ppid !== parent) process.exit(0); // the parent died: its claims lapse, this group is not written
  },
  afterEpoch: (report) => reply({ type: 'epoch', report }),
});

process.on('message', (request: WorkerRequest) => {
  handle(request).catch(failed);
});
process.on('SIGTERM', () => undefined);
process.on('SIGINT', () => undefined);
process.on('SIGUSR2', () => process.exit(0)); // the parent stops this worker now (its group is not written)

// A parent that dies (killed run) or stops this worker closes the channel: stop too, leaving finished trial files as they are.
process.on('disconnect', () => process.exit(0));
