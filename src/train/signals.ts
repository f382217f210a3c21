// SIGTERM and SIGINT during `train`: the first asks the run to stop taking work and to let the trials that can
// finish within the grace period finish; a second one stops at once. Slurm sends SIGTERM before its kill
// (scancel, time limits with --signal, preemption). Workers ignore both: their parent decides (worker.ts).

export type StopListener = (signal: NodeJS.Signals, urgent: boolean) => void;

/** Listens for SIGTERM and SIGINT while installed; tells its listener about each. */
export class StopRequest {
  signal: NodeJS.Signals | undefined;
  private listener: StopListener | undefined;
  private readonly handler = (signal: NodeJS.Signals): void => {
    const urgent = this.signal !== undefined;
    this.signal ??= signal;
    this.listener?.(signal, urgent);
  };

  install(): this {
    process.on('SIGTERM', this.handler);
    process.on('SIGINT', this.handler);
    return this;
  }

  uninstall(): void {
    process.off('SIGTERM', this.handler);
    process.off('SIGINT', this.handler);
  }

  /** Calls `listener` on every signal from now on (and at once if one came already). */
  onStop(listener: StopListener): void {
    this.listener = listener;
    if (this.signal !== undefined) listener(this.signal, false);
  }
}

/** Exit status of a process stopped by `signal`, as a shell reports it (128 + number). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? 130 : 143;
}
