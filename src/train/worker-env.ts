// The environment of each forked worker. tfjs-node-gpu (TensorFlow) uses one GPU per process and takes all
// of its memory: worker w gets CUDA_VISIBLE_DEVICES = GPU (w mod #GPUs) and TF_FORCE_GPU_ALLOW_GROWTH=true
// (unless set). CUDA_VISIBLE_DEVICES affects nothing but CUDA, so `auto`, which may pick tfjs-node-gpu, gets it too.
import { execFileSync } from 'node:child_process';
import type { BackendName } from '../config/schema.js';

/** Whether `backend` may run on CUDA (auto may pick tfjs-node-gpu). */
export function mayUseCuda(backend: BackendName): boolean {
  return backend === 'tensorflow-gpu' || backend === 'auto';
}

/** The GPU ids `nvidia-smi -L` lists ("GPU 0: NVIDIA H100 ... (UUID: ...)"), one per GPU line. */
export function parseNvidiaSmiList(output: string): string[] {
  return output.split('\n').flatMap((line) => /^GPU (\d+):/.exec(line)?.slice(1, 2) ?? []);
}

/** The GPUs this process may spread workers over: the entries of CUDA_VISIBLE_DEVICES (ids, UUIDs or MIG names,
 * kept as they are) when set; none under Slurm (SLURM_JOB_ID) with it unset, since Slurm sets it for the GPUs it
 * allocated (--gres=gpu:N) and every GPU of the node would include other users'; else those `listGpus` finds. */
export function allocatedGpus(env: NodeJS.ProcessEnv, listGpus: () => string[]): string[] {
  const visible = env['CUDA_VISIBLE_DEVICES'];
  if (visible !== undefined) return visible.split(',').map((id) => id.trim()).filter((id) => id !== '' && id !== 'NoDevFiles');
  if (env['SLURM_JOB_ID'] !== undefined) return [];
  return listGpus();
}

/** The GPUs nvidia-smi lists, or none when it is missing or fails. */
export function nvidiaSmiGpus(): string[] {
  try {
    return parseNvidiaSmiList(execFileSync('nvidia-smi', ['-L'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }));
  } catch {
    return [];
  }
}

/** Worker `worker`'s environment: `base`, plus its GPU and memory growth when `backend` may use CUDA. */
export function workerEnv(worker: number, base: NodeJS.ProcessEnv, backend: BackendName, gpus: readonly string[]): NodeJS.ProcessEnv {
  if (!mayUseCuda(backend)) return base;
  const env: NodeJS.ProcessEnv = { ...base, TF_FORCE_GPU_ALLOW_GROWTH: base['TF_FORCE_GPU_ALLOW_GROWTH'] ?? 'true' };
  const gpu = gpus[worker % Math.max(gpus.length, 1)];
  if (gpu !== undefined) env['CUDA_VISIBLE_DEVICES'] = gpu;
  return env;
}
