// The default number of workers: CPUs from Slurm, affinity and the cgroup quota; GPUs on GPU backends.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_WORKERS, parseCpuMax, usableCpus, workerCount } from '../../src/train/resources.js';

test('cgroup cpu.max: quota / period, none for max', () => {
  assert.equal(parseCpuMax('200000 100000\n'), 2);
  assert.equal(parseCpuMax('150000 100000'), 1);
  assert.equal(parseCpuMax('50000 100000'), 1);
  assert.equal(parseCpuMax('max 100000'), undefined);
});

test('usable CPUs: the smallest of SLURM_CPUS_PER_TASK, affinity and cgroup', () => {
  assert.equal(usableCpus({ SLURM_CPUS_PER_TASK: '1' }, 16, undefined), 1, 'a 1-CPU task under task/none sees 16');
  assert.equal(usableCpus({}, 16, 4), 4);
  assert.equal(usableCpus({ SLURM_CPUS_PER_TASK: '8' }, 2, undefined), 2);
  assert.equal(usableCpus({ SLURM_CPUS_PER_TASK: 'x' }, 3, undefined), 3);
});

test('workers: asked, else one on webgpu, one per GPU on the CUDA backends, else per CPU; never more than groups', () => {
  assert.equal(workerCount('auto', 'wasm', 8, ['0', '1'], 100), 8);
  assert.equal(workerCount('auto', 'tensorflow-gpu', 8, ['0', '1'], 100), 2);
  assert.equal(workerCount('auto', 'webgpu', 8, ['3'], 100), 1);
  assert.equal(workerCount('auto', 'webgpu', 8, ['0', '1', '2', '3'], 100), 1, 'webgpu: one process, one adapter');
  assert.equal(workerCount('auto', 'webgpu', 8, [], 100), 1, 'webgpu with a GPU that nvidia-smi does not list');
  assert.equal(workerCount('auto', 'tensorflow-gpu', 8, [], 100), 8, 'no GPU allocated: CPUs');
  assert.equal(workerCount(4, 'auto', 1, [], 100), 4, 'asked wins');
  assert.equal(workerCount(4, 'wasm', 8, [], 3), 3);
  assert.equal(workerCount(100_000, 'wasm', 8, [], Infinity), MAX_WORKERS);
});
