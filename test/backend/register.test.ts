// Tests of the registration entry points: wasm composites keep kernels already there and can be
// registered twice; webgpu's own Conv2DBackpropFilter is replaced (checked without a GPU).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { WASM_OVERRIDE_NAMES, registerMissingWasmKernels, registerWebgpuOverrides, useWasmOverrides } from '../../src/backend/kernels/index.js';

const kernel = (name: string, backend: string): tf.KernelConfig | undefined =>
  tf.getKernel(name, backend);

test('registerMissingWasmKernels keeps kernels already registered and is idempotent', () => {
  const marker: tf.KernelConfig = { kernelName: tf.UnsortedSegmentSum, backendName: 'wasm', kernelFunc: () => { throw new Error('marker'); } };
  tf.registerKernel(marker);
  registerMissingWasmKernels();
  registerMissingWasmKernels();
  assert.equal(kernel(tf.UnsortedSegmentSum, 'wasm'), marker);
  assert.ok(kernel(tf.Conv2DBackpropFilter, 'wasm'));
  assert.ok(kernel(tf.DepthwiseConv2dNativeBackpropInput, 'wasm'));
});

test('useWasmOverrides switches every override off (to the kernel it replaced) and on again', async () => {
  registerMissingWasmKernels();
  const on = WASM_OVERRIDE_NAMES.map((name) => kernel(name, 'wasm'));
  useWasmOverrides(WASM_OVERRIDE_NAMES, false);
  WASM_OVERRIDE_NAMES.forEach((name, i) => assert.notEqual(kernel(name, 'wasm'), on[i], name));
  // The replaced kernels still work (wasm ran their setup when the backend started).
  assert.ok(await tf.setBackend('wasm'));
  const y = tf.tidy(() => tf.sum(tf.slice(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]), [1, 0], [2, 2]), 0));
  assert.deepEqual(Array.from(y.dataSync()), [8, 10]);
  y.dispose();
  useWasmOverrides(WASM_OVERRIDE_NAMES, true);
  WASM_OVERRIDE_NAMES.forEach((name, i) => assert.equal(kernel(name, 'wasm'), on[i], name));
  assert.throws(() => useWasmOverrides(['Conv3D'], false), /no wasm override of kernel "Conv3D"; expected one of Conv2DBackpropInput, MaxPoolGrad/);
});

test('registerWebgpuOverrides replaces webgpu Conv2DBackpropFilter and the Mean/Sum gradients', async (t) => {
  try {
    await import('@tensorflow/tfjs-backend-webgpu');
  } catch {
    t.skip('@tensorflow/tfjs-backend-webgpu is not installed');
    return;
  }
  const own = kernel(tf.Conv2DBackpropFilter, 'webgpu');
  const grads = [tf.getGradient(tf.Mean), tf.getGradient(tf.Sum)];
  registerWebgpuOverrides();
  const first = kernel(tf.Conv2DBackpropFilter, 'webgpu');
  assert.ok(first && first !== own);
  assert.notEqual(tf.getGradient(tf.Mean), grads[0]);
  assert.notEqual(tf.getGradient(tf.Sum), grads[1]);
  registerWebgpuOverrides(); // again: no "already registered" error
  assert.ok(kernel(tf.Conv2DBackpropFilter, 'webgpu'));
});
