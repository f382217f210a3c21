// Entry point of a worker process: sets up once, then runs the trials the parent sends, one at a time.
import { UsageError } from '../errors.js';
import { TrialExecutor } from './executor.js';
import { runGroup, type WorkerReply, type WorkerRequest } from './runner.js';

let executor: TrialExecutor | undefined;

function reply(message: WorkerReply): void {
  process.send?.(message);
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

process.on('message', (request: WorkerRequest) => {
  handle(request).catch(failed);
});

// A parent that dies (killed run) closes the channel: stop too, leaving finished trial files as they are.
process.on('disconnect', () => process.exit(0));
