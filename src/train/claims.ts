// Claims on trials, so that any number of processes on one run directory (job array tasks, resubmitted
// tasks, two terminals) train each trial once: <run-dir>/claims/trial-NNNNNN.claim is created exclusively
// and whole (a hard link of a written temporary), names its holder, and is renewed (its mtime) while the trial trains. A claim whose holder is gone
// (same host, pid not running) or whose lease expired (not renewed for `leaseMs`) is taken over.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { link, mkdir, readFile, readdir, rename, stat, unlink, utimes } from 'node:fs/promises';
import { slurmIds } from '../log.js';
import { processIsAlive, writeFileAtomicIfAbsent } from '../store/atomic.js';
import { RunDirectory, trialFileName } from '../store/run-dir.js';

/** Who holds a claim: the process and, under Slurm, its job and array task. */
export interface ClaimHolder {
  host: string;
  pid: number;
  job?: string; // SLURM_ARRAY_JOB_ID, else SLURM_JOB_ID
  task?: string; // SLURM_ARRAY_TASK_ID
  token: string; // unique per process: tells our claim from a later one of a reused pid
}

/** A claim as found on disk, for `status` and for takeover decisions. */
export interface ClaimInfo {
  trial: number;
  holder: ClaimHolder;
  claimedAt: string;
  renewedMs: number; // mtime: last renewal
  stale: boolean; // holder gone or lease expired: the next claimer takes it over
}

/** Default lease: a claim not renewed for this long is taken over. The holder renews every quarter of it. */
export const DEFAULT_LEASE_MS = 120_000;
const CLAIM_NAME = /^trial-(\d{6,})\.claim$/;

/** This process as a claim holder. */
export function currentHolder(env: NodeJS.ProcessEnv = process.env): ClaimHolder {
  return { host: hostname(), pid: process.pid, ...slurmIds(env), token: randomUUID() };
}

/** "host pid 123 (Slurm job 45 task 2)". */
export function describeHolder(holder: ClaimHolder): string {
  const slurm = holder.job === undefined ? '' : ` (Slurm job ${holder.job}${holder.task === undefined ? '' : ` task ${holder.task}`})`;
  return `${holder.host} pid ${holder.pid}${slurm}`;
}

function isStale(holder: ClaimHolder, renewedMs: number, leaseMs: number, now: number): boolean {
  if (now - renewedMs > leaseMs) return true;
  return holder.host === hostname() && holder.pid !== process.pid && !processIsAlive(holder.pid);
}

const claimName = (trial: number): string => trialFileName(trial).replace(/\.arrow$/, '.claim');

async function readClaim(path: string, leaseMs: number, now = Date.now()): Promise<(ClaimInfo & { ino: number }) | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    const parsed = JSON.parse(text) as { trial: number; holder: ClaimHolder; claimedAt: string };
    return { ...parsed, renewedMs: info.mtimeMs, ino: info.ino, stale: isStale(parsed.holder, info.mtimeMs, leaseMs, now) };
  } catch {
    return undefined; // released meanwhile (claims appear whole: see create)
  }
}

/** Every claim in a run directory (for `memorize status`). */
export async function listClaims(runRoot: string, leaseMs = DEFAULT_LEASE_MS): Promise<ClaimInfo[]> {
  const dir = new RunDirectory(runRoot).claimsDir;
  const names = await readdir(dir).catch(() => [] as string[]);
  const claims: ClaimInfo[] = [];
  for (const name of names.filter((n) => CLAIM_NAME.test(n)).sort()) {
    const claim = await readClaim(join(dir, name), leaseMs);
    if (claim) claims.push({ trial: claim.trial, holder: claim.holder, claimedAt: claim.claimedAt, renewedMs: claim.renewedMs, stale: claim.stale });
  }
  return claims;
}

/** The claims this process holds on one run directory. */
export class ClaimBook {
  readonly dir: string;
  private readonly held = new Set<number>();

  constructor(
    runRoot: string,
    readonly holder: ClaimHolder = currentHolder(),
    readonly leaseMs = DEFAULT_LEASE_MS,
  ) {
    this.dir = new RunDirectory(runRoot).claimsDir;
  }

  get heldTrials(): number[] {
    return [...this.held].sort((a, b) => a - b);
  }

  /** Claims `trial`, taking over a stale claim. Returns what happened; 'held' names the live holder. */
  async claim(trial: number): Promise<{ claimed: true; tookOver?: ClaimHolder } | { claimed: false; holder: ClaimHolder }> {
    await mkdir(this.dir, { recursive: true });
    const path = join(this.dir, claimName(trial));
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await this.create(path, trial)) return { claimed: true };
      const existing = await readClaim(path, this.leaseMs);
      if (!existing) continue; // released meanwhile: try again
      if (!existing.stale) return { claimed: false, holder: existing.holder };
      if ((await this.removeStale(path, existing.ino)) && (await this.create(path, trial))) return { claimed: true, tookOver: existing.holder };
    }
    const holder = (await readClaim(path, this.leaseMs))?.holder;
    return holder ? { claimed: false, holder } : { claimed: false, holder: this.holder };
  }

  /** Renews every held claim; returns the trials whose claim another process took over meanwhile. */
  async renew(): Promise<number[]> {
    const now = new Date();
    const lost: number[] = [];
    for (const trial of this.held) {
      const path = join(this.dir, claimName(trial));
      const claim = await readClaim(path, this.leaseMs);
      if (claim?.holder.token !== this.holder.token) {
        lost.push(trial);
        continue;
      }
      await utimes(path, now, now).catch(() => undefined);
    }
    return lost;
  }

  /** Releases a claim of ours (after its trial file is written, or when giving the trial up). */
  async release(trial: number): Promise<void> {
    if (!this.held.delete(trial)) return;
    const path = join(this.dir, claimName(trial));
    const claim = await readClaim(path, this.leaseMs);
    if (claim?.holder.token === this.holder.token) await unlink(path).catch(() => undefined);
  }

  async releaseAll(): Promise<void> {
    for (const trial of this.heldTrials) await this.release(trial);
  }

  /** Creates the claim whole or not at all: a process killed while claiming leaves no empty claim that nobody could judge. */
  private async create(path: string, trial: number): Promise<boolean> {
    if (!(await writeFileAtomicIfAbsent(path, `${JSON.stringify({ trial, holder: this.holder, claimedAt: new Date().toISOString() })}\n`))) return false;
    this.held.add(trial);
    return true;
  }

  /** Moves a stale claim aside (rename is atomic: of several takers only one succeeds) and deletes it. If the
   * file moved is not the one judged stale (another taker replaced it meanwhile), it is put back. */
  private async removeStale(path: string, ino: number): Promise<boolean> {
    const aside = `${path}.stale-${this.holder.token}`;
    try {
      await rename(path, aside);
    } catch {
      return false; // another process took it over first
    }
    const moved = await stat(aside).catch(() => undefined);
    if (moved && moved.ino !== ino) {
      // A fresh claim: give it back (link, so as not to replace one made meanwhile).
      await link(aside, path).then(() => unlink(aside), () => undefined);
      return false;
    }
    await unlink(aside).catch(() => undefined);
    return true;
  }
}
