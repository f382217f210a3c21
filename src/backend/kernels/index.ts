// Registers the kernel and gradient overrides: composites for kernels wasm lacks, overrides of wasm kernels
// that are slow in training, and for webgpu a faster Conv2DBackpropFilter, Mean/Sum gradients that do
// not upload ones(x.shape) every step, and an AddN within the device's binding limits. scripts/BENCHMARKS.md measures each wasm override.
import * as tf from '@tensorflow/tfjs';
import { registerDeviceReduceGradients } from '../gradients/reduce-gradients.js';
import { registerChunkedAddN } from './add-n.js';
import { registerContiguousBatchMatMul } from './batch-matmul.js';
import { registerConv2DBackpropFilter } from './conv2d-backprop-filter.js';
import { registerIm2colConv2DBackpropFilter } from './conv2d-backprop-filter-im2col.js';
import { registerConv2DBackpropInput } from './conv2d-backprop-input.js';
import { registerDepthwiseConv2dNativeBackpropInput } from './depthwise-backprop-input.js';
import { registerRowGather } from './gather.js';
import { registerSharedCast, registerSharedIdentity } from './identity.js';
import { registerMaxPoolGrad } from './max-pool-grad.js';
import { registerHeapSlice } from './slice.js';
import { registerSlicedSplitV } from './split.js';
import { registerLeadingAxesSum } from './sum.js';
import { registerUnsortedSegmentSum } from './unsorted-segment-sum.js';

const isRegistered = (kernelName: string, backendName: string): boolean =>
  (tf.getKernel(kernelName, backendName) as tf.KernelConfig | undefined) !== undefined;

/** The wasm overrides, in the order they were made. Each replaces the kernel registered before it: wasm's
 * own, or for Conv2DBackpropFilter the composite, and for BatchMatMul the explicit-transpose wrapper. */
const WASM_OVERRIDES: readonly [string, (backendName: string) => void][] = [
  [tf.Conv2DBackpropInput, registerConv2DBackpropInput],
  [tf.MaxPoolGrad, registerMaxPoolGrad],
  [tf.Conv2DBackpropFilter, registerIm2colConv2DBackpropFilter],
  [tf.BatchMatMul, (b) => registerContiguousBatchMatMul(b, { transposedProduct: true })],
  [tf.GatherV2, registerRowGather],
  [tf.Sum, registerLeadingAxesSum],
  [tf.Identity, registerSharedIdentity],
  [tf.Slice, registerHeapSlice],
  [tf.SplitV, registerSlicedSplitV],
  [tf.Cast, registerSharedCast],
];

/** Names of the wasm kernels that have an override. */
export const WASM_OVERRIDE_NAMES: readonly string[] = WASM_OVERRIDES.map(([name]) => name);

/** Each overridden kernel's config before and after its override, to switch between them. */
const toggles = new Map<string, { before: tf.KernelConfig; after: tf.KernelConfig }>();

/** Registers the wasm composites (kernels wasm lacks; ones registered before are kept) and, once, the
 * overrides; `skipOverrides` names overrides to leave off (benchmarks measure them against the kernel before). */
export function registerMissingWasmKernels(options: { skipOverrides?: readonly string[] } = {}): void {
  const missing: [string, (backendName: string) => void][] = [
    [tf.Conv2DBackpropFilter, registerConv2DBackpropFilter],
    [tf.DepthwiseConv2dNativeBackpropInput, registerDepthwiseConv2dNativeBackpropInput],
    [tf.UnsortedSegmentSum, registerUnsortedSegmentSum],
  ];
  for (const [name, register] of missing) if (!isRegistered(name, 'wasm')) register('wasm');
  if (toggles.size === 0) {
    registerContiguousBatchMatMul('wasm', { transposedProduct: false }); // explicit transposes (wasm's own transposed path is scalar)
    for (const [name, register] of WASM_OVERRIDES) {
      const before = tf.getKernel(name, 'wasm') as tf.KernelConfig | undefined;
      if (!before) throw new Error(`kernel ${name} is not registered for backend 'wasm'`);
      register('wasm');
      let after = tf.getKernel(name, 'wasm');
      if (!after.setupFunc && before.setupFunc) {
        // Keep the replaced kernel's setup (wasm binds its C function when the backend starts), so that it
        // still works when switched back.
        after = { ...after, setupFunc: before.setupFunc };
        tf.unregisterKernel(name, 'wasm');
        tf.registerKernel(after);
      }
      toggles.set(name, { before, after });
    }
  }
  if (options.skipOverrides) useWasmOverrides(options.skipOverrides, false);
}

/** Switches the wasm overrides of kernels `names` on, or off (back to the kernel each replaced). */
export function useWasmOverrides(names: readonly string[], on: boolean): void {
  for (const name of names) {
    const toggle = toggles.get(name);
    if (!toggle) throw new Error(`no wasm override of kernel "${name}"; expected one of ${WASM_OVERRIDE_NAMES.join(', ')}`);
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(on ? toggle.after : toggle.before);
  }
}

/** Replaces webgpu's Conv2DBackpropFilter with the composite and its AddN with the chunked one, and registers
 * the device reduce gradients. */
export function registerWebgpuOverrides(): void {
  if (isRegistered(tf.Conv2DBackpropFilter, 'webgpu')) tf.unregisterKernel(tf.Conv2DBackpropFilter, 'webgpu');
  registerConv2DBackpropFilter('webgpu');
  registerChunkedAddN('webgpu');
  registerDeviceReduceGradients();
}
