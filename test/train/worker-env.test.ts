// Each forked worker's environment: one GPU per worker (round-robin) and memory growth for CUDA backends.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseNvidiaSmiList, allocatedGpus, workerEnv } from '../../src/train/worker-env.js';

const SMI = `GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-aaaa)
GPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-bbbb)
  MIG 3g.40gb     Device  0: (UUID: MIG-cccc)
GPU 2: NVIDIA H100 80GB HBM3 (UUID: GPU-dddd)
`;

test('nvidia-smi -L: one id per GPU line', () => {
  assert.deepEqual(parseNvidiaSmiList(SMI), ['0', '1', '2']);
  assert.deepEqual(parseNvidiaSmiList(''), []);
});

test('an existing CUDA_VISIBLE_DEVICES list wins over nvidia-smi', () => {
  const never = () => assert.fail('nvidia-smi not consulted');
  assert.deepEqual(allocatedGpus({ CUDA_VISIBLE_DEVICES: '2, 5,7' }, never), ['2', '5', '7']);
  assert.deepEqual(allocatedGpus({ CUDA_VISIBLE_DEVICES: '' }, never), [], 'set but empty: no GPUs');
  assert.deepEqual(allocatedGpus({}, () => ['0', '1']), ['0', '1']);
});

test('under Slurm only the GPUs Slurm allocated: none without CUDA_VISIBLE_DEVICES, never nvidia-smi', () => {
  const never = () => assert.fail('nvidia-smi not consulted under Slurm');
  assert.deepEqual(allocatedGpus({ SLURM_JOB_ID: '12' }, never), []);
  assert.deepEqual(allocatedGpus({ SLURM_JOB_ID: '12', CUDA_VISIBLE_DEVICES: '3' }, never), ['3']);
});

const cases: [string, Parameters<typeof workerEnv>, Record<string, string | undefined>][] = [
  ['worker 0 of 2 GPUs', [0, {}, 'tensorflow-gpu', ['0', '1']], { CUDA_VISIBLE_DEVICES: '0', TF_FORCE_GPU_ALLOW_GROWTH: 'true' }],
  ['worker 3 of 2 GPUs wraps around', [3, {}, 'tensorflow-gpu', ['0', '1']], { CUDA_VISIBLE_DEVICES: '1', TF_FORCE_GPU_ALLOW_GROWTH: 'true' }],
  ['ids from a visible list', [1, { CUDA_VISIBLE_DEVICES: '4,6' }, 'tensorflow-gpu', ['4', '6']], { CUDA_VISIBLE_DEVICES: '6', TF_FORCE_GPU_ALLOW_GROWTH: 'true' }],
  ['a user setting of memory growth is kept', [0, { TF_FORCE_GPU_ALLOW_GROWTH: 'false' }, 'tensorflow-gpu', ['0']], { CUDA_VISIBLE_DEVICES: '0', TF_FORCE_GPU_ALLOW_GROWTH: 'false' }],
  ['auto may pick tfjs-node-gpu: same', [1, {}, 'auto', ['0', '1']], { CUDA_VISIBLE_DEVICES: '1', TF_FORCE_GPU_ALLOW_GROWTH: 'true' }],
  ['no GPUs: memory growth only', [1, {}, 'tensorflow-gpu', []], { CUDA_VISIBLE_DEVICES: undefined, TF_FORCE_GPU_ALLOW_GROWTH: 'true' }],
  ['wasm: untouched', [1, { PATH: '/bin' }, 'wasm', ['0', '1']], { CUDA_VISIBLE_DEVICES: undefined, TF_FORCE_GPU_ALLOW_GROWTH: undefined, PATH: '/bin' }],
  ['webgpu: untouched', [0, {}, 'webgpu', ['0']], { CUDA_VISIBLE_DEVICES: undefined, TF_FORCE_GPU_ALLOW_GROWTH: undefined }],
];
for (const [name, args, expected] of cases) {
  test(`worker env: ${name}`, () => {
    const base = { ...args[1] };
    const env = workerEnv(...args);
    for (const [key, value] of Object.entries(expected)) assert.equal(env[key], value, key);
    assert.deepEqual(args[1], base, 'the parent environment is not modified');
  });
}
