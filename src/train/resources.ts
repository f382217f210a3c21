// What this process may use, for the default --workers: CPUs (SLURM_CPUS_PER_TASK, CPU affinity, the cgroup's
// CPU quota: the smallest) and GPUs (under Slurm only those it allocated, CUDA_VISIBLE_DEVICES; elsewhere
// that variable or nvidia-smi: worker-env.ts). One worker per GPU on the CUDA backends, one on webgpu, else one per
// CPU; never more than groups.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { BackendName } from '../config/schema.js';
import { mayUseCuda } from './worker-env.js';

/** Workers allowed at most, whatever is asked: more processes than this on one machine is a mistake. */
export const MAX_WORKERS = 256;

/** CPUs of a cgroup v2 `cpu.max` ("200000 100000": 2 CPUs; "max 100000": no quota). */
export function parseCpuMax(text: string): number | undefined {
  const [quota, period] = text.trim().split(/\s+/);
  if (quota === undefined || quota === 'max' || period === undefined) return undefined;
  const cpus = Number(quota) / Number(period);
  return Number.isFinite(cpus) && cpus > 0 ? Math.max(1, Math.floor(cpus)) : undefined;
}

function cgroupCpus(): number | undefined {
  try {
    return parseCpuMax(readFileSync('/sys/fs/cgroup/cpu.max', 'utf8'));
  } catch {
    return undefined;
  }
}

/** CPUs this process may use: the smallest of SLURM_CPUS_PER_TASK, the affinity mask and the cgroup quota. */
export function usableCpus(env: NodeJS.ProcessEnv, affinity = availableParallelism(), cgroup = cgroupCpus()): number {
  const slurm = Number(env['SLURM_CPUS_PER_TASK']);
  const limits = [affinity, cgroup, Number.isSafeInteger(slurm) && slurm > 0 ? slurm : undefined];
  return Math.max(1, Math.min(...limits.filter((n): n is number => n !== undefined)));
}

/** The number of worker processes: `asked` (capped), or one on webgpu (Dawn opens the same default adapter in
 * every process, so more would share one GPU), one per GPU on the backends that may use CUDA (each worker gets
 * its own, worker-env.ts), else one per usable CPU; never more than there are groups of trials to run. */
export function workerCount(asked: number | 'auto', backend: BackendName, cpus: number, gpus: readonly string[], groups: number): number {
  const wanted = asked !== 'auto' ? asked : backend === 'webgpu' ? 1 : mayUseCuda(backend) && gpus.length > 0 ? gpus.length : cpus;
  return Math.max(0, Math.min(wanted, MAX_WORKERS, groups));
}
