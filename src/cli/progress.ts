// A one-line progress bar on a terminal: trials done, trials per minute, ETA. Silent elsewhere.

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s % 60).padStart(2, '0')}s`;
}

export class ProgressBar {
  private readonly started = performance.now();

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly total: number,
    private readonly width = 30,
  ) {}

  get enabled(): boolean {
    return this.stream.isTTY === true && this.total > 0;
  }

  update(done: number, note = ''): void {
    if (!this.enabled) return;
    const minutes = (performance.now() - this.started) / 60_000;
    const rate = done / minutes;
    const filled = Math.round((this.width * done) / this.total);
    const bar = `${'#'.repeat(filled)}${'-'.repeat(this.width - filled)}`;
    const eta = formatDuration(((this.total - done) / rate) * 60);
    this.stream.write(`\r[${bar}] ${done}/${this.total} trials  ${rate.toFixed(1)}/min  ETA ${eta}  ${note}\x1b[K`);
    if (done === this.total) this.stream.write('\n');
  }
}
