// Hands claimed trials to workers (in this process, or forked ones that set up once and take groups), so that
// every process on a run directory trains each trial once. A crashed worker, or one that made no progress for
// the stall timeout (killed), has its trials retried once on a fresh worker; a trial that fails twice stops the
// run. On a stop request (signals.ts) no new work is taken, groups that can finish within the grace period
// finish and are written, the rest are stopped, and every claim of this process is released.
import { fork, type ChildProcess } from 'node:child_process';
import { UsageError } from '../errors.js';
import type { ClaimBook, ClaimHolder } from './claims.js';
import { TrialExecutor, type ExecutorSetup } from './executor.js';
import { failureFromReply, runGroup, type TrialDone, type WorkerReply, type WorkerRequest } from './runner.js';
import type { StopRequest } from './signals.js';
import type { EpochReport } from './training-hooks.js';
import { workerEnv } from './worker-env.js';

/** What the scheduler tells its caller about besides finished trials (for the log and the terminal). */
export type RunEvent =
  | { type: 'claimed'; trials: number[]; tookOver: { trial: number; holder: ClaimHolder }[] }
  | { type: 'epoch'; trials: number[]; report: EpochReport }
  | { type: 'retry'; trials: number[]; reason: string }
  | { type: 'lost-claims'; trials: number[] }
  | { type: 'stopping'; signal: NodeJS.Signals; inFlight: number[]; graceSeconds: number }
  | { type: 'abandoned'; trials: number[]; reason: string };

export interface SchedulerOptions {
  setup: ExecutorSetup;
  pending: readonly number[]; // trials this process may run, in order
  workers: number; // processes to use (>= 1)
  inProcess: boolean; // run in this process (instant trials: nothing blocks the event loop for long)
  groupSize: number;
  claims: ClaimBook;
  isFinished: (trial: number) => Promise<boolean>;
  stallSeconds: number | null; // a worker with no progress for this long is killed; null: never
  graceSeconds: number; // after a stop request, how long trials in flight may take to finish
  stop: StopRequest;
  gpus: readonly string[];
  onDone: (done: TrialDone) => void;
  onEvent: (event: RunEvent) => void;
}

export interface SchedulerResult {
  stoppedBy?: NodeJS.Signals; // set when a stop request ended the run early
  heldElsewhere: number[]; // pending trials that live claims of other processes hold
}

/** A worker: runs one group at a time. */
interface Slot {
  busy: { trials: number[]; started: number } | undefined;
  lastProgress: number | undefined; // while setting up or running a group: when it last reported (ms); else undefined
  run(trials: number[]): void;
  stop(): void; // no more work: exit when idle
  abort(reason: string): void; // stop now, losing the group in flight
}

const SETUP_STALL_SECONDS = 600;
const firstLine = (text: string): string => text.split('\n').find((line) => line.trim() !== '')?.trim() ?? text;

export function scheduleTrials(o: SchedulerOptions): Promise<SchedulerResult> {
  return new Promise<SchedulerResult>((resolve, reject) => {
    let queue = [...o.pending];
    let cursor = 0;
    let claiming = 0; // nextGroup calls in flight: the run does not finish under them
    const retry: number[] = []; // trials claimed by this process and not running: retries, and groups given back
    const failures = new Map<number, string>(); // trial -> what went wrong the first time
    const heldElsewhere = new Set<number>();
    const slots = new Set<Slot>();
    const groupSeconds: number[] = [];
    let stopping = false;
    let finished = false;
    let fatal: Error | undefined;
    let rescanned = false;
    let setupFailure: string | undefined; // the first worker that crashed while setting up

    const timers = [
      setInterval(() => {
        o.claims.renew().then((lost) => lost.length > 0 && o.onEvent({ type: 'lost-claims', trials: lost }), () => undefined);
      }, o.claims.leaseMs / 4),
      ...(o.stallSeconds === null ? [] : [setInterval(() => watch(o.stallSeconds!), Math.min(1000, o.stallSeconds * 250))]),
    ];
    timers.forEach((t) => t.unref());

    function watch(stallSeconds: number): void {
      const now = performance.now();
      for (const slot of slots) {
        // Set-up (loading data, a probe network without epochs yet) gets at least SETUP_STALL_SECONDS.
        const limit = slot.busy ? stallSeconds : Math.max(stallSeconds, SETUP_STALL_SECONDS);
        if (slot.lastProgress !== undefined && now - slot.lastProgress > limit * 1000) {
          slot.lastProgress = undefined;
          slot.abort(`made no progress for ${limit} s (--stall-timeout) and was stopped`);
        }
      }
    }

    /** Claims the next group: retries first, then unclaimed pending trials without a file. */
    async function nextGroup(): Promise<number[]> {
      const group = retry.splice(0, o.groupSize);
      const tookOver: { trial: number; holder: ClaimHolder }[] = [];
      while (group.length < o.groupSize && !stopping) {
        if (cursor >= queue.length) {
          if (rescanned || heldElsewhere.size === 0 || group.length > 0 || [...slots].some((s) => s.busy)) break;
          // Out of work: look once more at the trials others held; a holder that died meanwhile left them stale.
          rescanned = true;
          queue = [...heldElsewhere];
          cursor = 0;
          heldElsewhere.clear();
          continue;
        }
        const trial = queue[cursor++]!;
        if (await o.isFinished(trial)) continue;
        const claim = await o.claims.claim(trial);
        if (!claim.claimed) {
          heldElsewhere.add(trial);
          continue;
        }
        if (await o.isFinished(trial)) {
          await o.claims.release(trial); // finished between the look and the claim
          continue;
        }
        if (claim.tookOver) tookOver.push({ trial, holder: claim.tookOver });
        group.push(trial);
      }
      if (group.length > 0) o.onEvent({ type: 'claimed', trials: group, tookOver });
      return group;
    }

    function finish(): void {
      if (finished || slots.size > 0 || claiming > 0) return;
      finished = true;
      timers.forEach(clearInterval);
      const release = [...retry];
      retry.length = 0;
      if (release.length > 0) o.onEvent({ type: 'abandoned', trials: release, reason: 'the run stopped' });
      o.claims.releaseAll().then(() => {
        if (fatal) reject(fatal);
        else resolve({ ...(o.stop.signal !== undefined && stopping && { stoppedBy: o.stop.signal }), heldElsewhere: [...heldElsewhere].sort((a, b) => a - b) });
      }, reject);
    }

    function failRun(error: Error): void {
      fatal ??= error;
      stopping = true;
      for (const slot of slots) {
        if (slot.busy) slot.abort('the run stopped');
        else slot.stop();
      }
      finish();
    }

    function feed(slot: Slot): void {
      if (stopping) return slot.stop();
      claiming++;
      nextGroup().then(
        (group) => {
          claiming--;
          if (group.length > 0 && slots.has(slot) && !stopping) return slot.run(group);
          retry.push(...group); // a later group takes them, or finish() releases them
          if (slots.has(slot)) slot.stop();
          else if (group.length > 0 && !stopping && slots.size === 0) addSlot(); // the worker died meanwhile
          finish();
        },
        (error: Error) => {
          claiming--;
          failRun(error);
        },
      );
    }

    /** A group that did not finish (its worker crashed or was stopped): retry each trial once, or stop the run. */
    function lost(trials: number[], reason: string, aborted: boolean): void {
      if (aborted && stopping) {
        o.onEvent({ type: 'abandoned', trials, reason });
        trials.forEach((t) => void o.claims.release(t));
        return;
      }
      const twice = trials.find((t) => failures.has(t));
      if (twice !== undefined) {
        return failRun(new UsageError(`trial ${twice} failed twice (${failures.get(twice)}; then ${reason}); the finished trials are kept: fix the cause and rerun the same command to resume`));
      }
      for (const t of trials) failures.set(t, reason);
      retry.push(...trials);
      o.onEvent({ type: 'retry', trials, reason });
      if (!stopping) addSlot(); // elsewhere: on a fresh worker
    }

    function completed(slot: Slot, done: TrialDone[]): void {
      if (slot.busy) groupSeconds.push((performance.now() - slot.busy.started) / 1000);
      slot.busy = undefined;
      slot.lastProgress = undefined;
      for (const trial of done) {
        o.onDone(trial);
        void o.claims.release(trial.trial);
      }
    }

    function addSlot(): void {
      const slot = o.inProcess ? inProcessSlot() : forkedSlot(slots.size);
      slots.add(slot);
    }

    function inProcessSlot(): Slot {
      let executor: TrialExecutor | undefined;
      const slot: Slot = {
        busy: undefined,
        lastProgress: undefined, // never watched: instant trials, in this process
        run(trials) {
          slot.busy = { trials, started: performance.now() };
          runGroup(executor!, trials).then((done) => (completed(slot, done), feed(slot)), (error: Error) => {
            slot.busy = undefined;
            failRun(error);
          });
        },
        stop() {
          executor?.dispose();
          executor = undefined;
          slots.delete(slot);
          finish();
        },
        abort() {}, // instant trials: the group in flight finishes
      };
      TrialExecutor.create(o.setup).then((created) => ((executor = created), feed(slot)), (error: Error) => (slots.delete(slot), failRun(error)));
      return slot;
    }

    function forkedSlot(index: number): Slot {
      const env = workerEnv(index, process.env, o.setup.config.backend, o.gpus); // one GPU per worker for tfjs-node-gpu
      const child: ChildProcess = fork(new URL('./worker.js', import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env });
      let ready = false;
      let abortReason: string | undefined;
      let killTimer: NodeJS.Timeout | undefined;
      const send = (request: WorkerRequest): void => {
        if (child.connected) child.send(request);
      };
      const slot: Slot = {
        busy: undefined,
        lastProgress: performance.now(), // set-up counts: a linear probe's network reports its epochs
        run(trials) {
          slot.busy = { trials, started: performance.now() };
          slot.lastProgress = performance.now();
          send({ type: 'run', trials });
        },
        stop() {
          send({ type: 'stop' });
          killTimer ??= setTimeout(() => child.kill('SIGKILL'), 10_000); // a stopped (SIGSTOP) or hung idle worker
        },
        abort(reason) {
          abortReason ??= reason;
          // SIGUSR2 ends a worker between steps (and its trainer's process group); one inside a long synchronous step is killed.
          child.kill('SIGUSR2');
          clearTimeout(killTimer);
          killTimer = setTimeout(() => child.kill('SIGKILL'), 1500);
        },
      };
      child.on('message', (reply: WorkerReply) => {
        if (slot.lastProgress !== undefined) slot.lastProgress = performance.now();
        if (reply.type === 'epoch') return o.onEvent({ type: 'epoch', trials: slot.busy?.trials ?? [], report: reply.report });
        if (reply.type === 'failed') {
          if (!ready || reply.usage) return failRun(failureFromReply(reply)); // set-up failed, or a usage error: the same everywhere
          const trials = slot.busy?.trials ?? [];
          slot.busy = undefined;
          lost(trials, `a worker failed: ${firstLine(reply.message)}`, false);
          return slot.abort('it failed');
        }
        if (reply.type === 'ready') {
          ready = true;
          slot.lastProgress = undefined;
        }
        if (reply.type === 'done') completed(slot, reply.trials);
        feed(slot);
      });
      child.on('error', () => undefined); // a send to an exiting worker; its 'exit' follows
      child.on('exit', (code, signal) => {
        clearTimeout(killTimer);
        slots.delete(slot);
        const how = signal !== null ? `was killed by ${signal}${signal === 'SIGKILL' && abortReason === undefined ? ' (often the out-of-memory killer: try fewer --workers or a smaller --ensemble or --batch-size)' : ''}` : `exited with code ${code}`;
        if (!ready && !stopping) {
          const what = `worker process ${child.pid} ${abortReason ?? how} while setting up`;
          if (setupFailure !== undefined || abortReason !== undefined) return failRun(new UsageError(`${setupFailure === undefined ? '' : `${setupFailure}, then `}${what}; the finished trials are kept: rerun \`memorize train\` to resume`));
          setupFailure = what; // a crash in set-up: once more on a fresh worker
          o.onEvent({ type: 'retry', trials: [], reason: what });
          addSlot();
          return;
        }
        if (slot.busy) {
          const trials = slot.busy.trials;
          slot.busy = undefined;
          lost(trials, `worker process ${child.pid} ${abortReason ?? how}`, abortReason !== undefined);
        }
        finish();
      });
      send({ type: 'setup', setup: o.setup });
      return slot;
    }

    o.stop.onStop((signal, urgent) => {
      const now = performance.now();
      const typical = groupSeconds.length > 0 ? groupSeconds.reduce((a, b) => a + b, 0) / groupSeconds.length : undefined;
      if (!stopping) {
        const inFlight = [...slots].flatMap((s) => s.busy?.trials ?? []);
        o.onEvent({ type: 'stopping', signal, inFlight, graceSeconds: urgent ? 0 : o.graceSeconds });
      }
      stopping = true;
      for (const slot of slots) {
        if (!slot.busy) {
          slot.stop();
          continue;
        }
        // A group that cannot finish within the grace period (by the mean group time so far) is stopped now.
        const expectedEnd = typical === undefined ? Infinity : slot.busy.started + typical * 1000;
        const why = `${signal}: it could not finish within the grace period (--grace ${o.graceSeconds} s)`;
        if (urgent || o.graceSeconds === 0 || (typical !== undefined && expectedEnd > now + o.graceSeconds * 1000)) slot.abort(urgent ? `${signal} (a second one)` : why);
        else setTimeout(() => slot.busy && slot.abort(why), Math.max(0, o.graceSeconds * 1000 - 500)).unref();
      }
      finish();
    });

    for (let w = 0; w < o.workers; w++) addSlot();
    if (o.workers === 0) finish();
  });
}
