// Registers the kernel and gradient overrides: composites for kernels wasm lacks, and for webgpu a
// faster Conv2DBackpropFilter plus Mean/Sum gradients that do not upload ones(x.shape) every step.
import * as tf from '@tensorflow/tfjs';
import { registerDeviceReduceGradients } from '../gradients/reduce-gradients.js';
import { registerContiguousBatchMatMul } from './batch-matmul.js';
import { registerConv2DBackpropFilter } from './conv2d-backprop-filter.js';
import { registerDepthwiseConv2dNativeBackpropInput } from './depthwise-backprop-input.js';
import { registerUnsortedSegmentSum } from './unsorted-segment-sum.js';

const isRegistered = (kernelName: string, backendName: string): boolean =>
  (tf.getKernel(kernelName, backendName) as tf.KernelConfig | undefined) !== undefined;

/** Registers the wasm composites (kernels wasm already has, or that were registered before, are kept)
 * and the faster transposed BatchMatMul. */
export function registerMissingWasmKernels(): void {
  const missing: [string, (backendName: string) => void][] = [
    [tf.Conv2DBackpropFilter, registerConv2DBackpropFilter],
    [tf.DepthwiseConv2dNativeBackpropInput, registerDepthwiseConv2dNativeBackpropInput],
    [tf.UnsortedSegmentSum, registerUnsortedSegmentSum],
  ];
  for (const [name, register] of missing) if (!isRegistered(name, 'wasm')) register('wasm');
  if (!contiguousMatMulRegistered) registerContiguousBatchMatMul('wasm'); // wraps wasm's own kernel, once
  contiguousMatMulRegistered = true;
}

let contiguousMatMulRegistered = false;

/** Replaces webgpu's Conv2DBackpropFilter with the composite and registers the device reduce gradients. */
export function registerWebgpuOverrides(): void {
  if (isRegistered(tf.Conv2DBackpropFilter, 'webgpu')) tf.unregisterKernel(tf.Conv2DBackpropFilter, 'webgpu');
  registerConv2DBackpropFilter('webgpu');
  registerDeviceReduceGradients();
}
