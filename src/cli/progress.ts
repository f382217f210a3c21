// Progress of `train` on stderr, counting the whole run (finished before plus finished now, of all requested).
// On a terminal: one bar line redrawn in place, at most 80 columns. Elsewhere (a Slurm .out file, a pipe): a
// short line every `intervalSeconds`, so a log shows the run moving. Both carry the last epoch report.
import type { EpochReport } from '../train/training-hooks.js';

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s % 60).padStart(2, '0')}s`;
}

/** "epoch 3/10 loss 0.521 acc 0.812 (2.1 s)"; loss and accuracy left out where they could not be read. */
export function formatEpoch(report: EpochReport): string {
  const numbers = report.loss === null || report.accuracy === null ? '' : ` loss ${report.loss.toFixed(3)} acc ${report.accuracy.toFixed(3)}`;
  return `epoch ${report.epoch}/${report.epochs}${numbers} (${report.seconds.toFixed(1)} s)`;
}

export const COLUMNS = 80;

export interface ProgressOptions {
  stream: NodeJS.WriteStream;
  total: number; // trials requested (of this shard)
  finished: number; // of those, finished before this process started
  intervalSeconds: number; // off a terminal: one line this often
  now?: () => number; // ms clock, for tests
}

export class Progress {
  private readonly now: () => number;
  private readonly started: number;
  private done = 0; // by this process
  private othersDone = 0; // by other processes since the start (from recounts of the trial files)
  private note = '';
  private timer: NodeJS.Timeout | undefined;
  private lastDraw = -Infinity;

  constructor(private readonly o: ProgressOptions) {
    this.now = o.now ?? (() => performance.now());
    this.started = this.now();
  }

  get tty(): boolean {
    return this.o.stream.isTTY === true;
  }

  start(): void {
    if (this.o.total === 0) return;
    if (this.tty) this.draw();
    else this.timer = setInterval(() => this.o.stream.write(`${this.line()}\n`), this.o.intervalSeconds * 1000).unref();
  }

  trialDone(note: string): void {
    this.done++;
    this.note = note;
    this.draw();
  }

  epoch(report: EpochReport, trials: readonly number[]): void {
    const which = trials.length === 1 ? `trial ${trials[0]}` : trials.length > 1 ? `trials ${trials[0]}-${trials[trials.length - 1]}` : 'set-up';
    this.note = `${which} ${formatEpoch(report)}`;
    this.draw();
  }

  /** Trials of the run finished by anyone, counted from the files: shows what other processes did. */
  recount(finishedInRun: number): void {
    this.othersDone = Math.max(0, finishedInRun - this.o.finished - this.done);
  }

  /** The line without the bar: "48/64 trials, 2.1/min, ETA 7m30s; <note>". */
  line(): string {
    const finished = Math.min(this.o.total, this.o.finished + this.done + this.othersDone);
    const minutes = (this.now() - this.started) / 60_000;
    const rate = (this.done + this.othersDone) / minutes;
    const eta = rate > 0 ? formatDuration(((this.o.total - finished) / rate) * 60) : '--';
    const text = `${finished}/${this.o.total} trials, ${rate > 0 ? rate.toFixed(1) : '0'}/min, ETA ${eta}`;
    return this.note === '' ? `progress: ${text}` : `progress: ${text}; ${this.note}`;
  }

  /** The terminal line: a bar, then as much of the line as fits in 80 columns. */
  bar(): string {
    const finished = Math.min(this.o.total, this.o.finished + this.done + this.othersDone);
    const width = 20;
    const filled = Math.round((width * finished) / this.o.total);
    const text = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${this.line().replace(/^progress: /, '')}`;
    return text.length < COLUMNS ? text : `${text.slice(0, COLUMNS - 2)}…`;
  }

  private draw(): void {
    if (!this.tty || this.o.total === 0) return;
    const now = this.now();
    if (now - this.lastDraw < 100) return; // redraw at most ten times a second
    this.lastDraw = now;
    this.o.stream.write(`\r${this.bar()}\x1b[K`);
  }

  /** Ends the display: on a terminal the final bar on its own line; elsewhere the summary that follows says it. */
  stop(): void {
    clearInterval(this.timer);
    if (!this.tty || this.o.total === 0) return;
    this.lastDraw = -Infinity;
    this.draw();
    this.o.stream.write('\n');
  }
}
