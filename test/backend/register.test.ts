// Tests of the registration entry points: wasm composites keep kernels already there and can be
// registered twice; webgpu's own Conv2DBackpropFilter is replaced (checked without a GPU).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerMissingWasmKernels, registerWebgpuOverrides } from '../../src/backend/kernels/index.js';

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
