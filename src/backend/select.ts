// Picks and starts the TensorFlow.js backend. `auto` tries, in order: tfjs-node-gpu (CUDA), webgpu
// (Dawn over Vulkan, no CUDA libraries), tfjs-node (CPU TensorFlow), wasm, cpu. Every other module
// gets TensorFlow.js backends only through here.
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../config/schema.js';
import { UsageError } from '../errors.js';
import { watchDevice } from './device-errors.js';
import { registerMissingWasmKernels, registerWebgpuOverrides } from './kernels/index.js';

export type ConcreteBackend = Exclude<BackendName, 'auto'>;
export const AUTO_ORDER: readonly ConcreteBackend[] = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'];

/** The backend a process runs on, as recorded in every trial. */
export interface ActiveBackend {
  name: ConcreteBackend;
  /** The GPU adapter or device, where there is one. */
  device?: string;
}

/** A backend that cannot start here, and why. */
class BackendUnavailable extends Error {}

/** A webgpu adapter that is software (llvmpipe, SwiftShader): it works, but slower than wasm, so auto skips it. */
class SoftwareAdapter extends BackendUnavailable {}

const LIBVULKAN_PATHS = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1', '/usr/lib64/libvulkan.so.1', '/usr/lib/libvulkan.so.1'];

function isModuleMissing(error: unknown, specifier: string): boolean {
  const code = (error as { code?: string }).code;
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String((error as Error).message).includes(specifier);
}

/** Imports an optional package, turning "not installed" into a BackendUnavailable that says how to install it. */
async function importOptional(load: () => Promise<unknown>, specifier: string, hint: string): Promise<void> {
  try {
    await load();
  } catch (error) {
    if (isModuleMissing(error, specifier)) throw new BackendUnavailable(`package ${specifier} is not installed (${hint})`);
    const firstLine = String((error as Error).message).split('\n')[0] ?? '';
    const cuda = /lib(cudart|cudnn|cublas|cuda)[^ ]*\.so/.exec(firstLine);
    throw new BackendUnavailable(cuda ? `CUDA library not found: ${cuda[0]} (${hint})` : `${specifier} failed to load: ${firstLine}`);
  }
}

async function startTensorflow(specifier: string, hint: string): Promise<undefined> {
  // A variable specifier: these packages are optional and usually absent, so nothing may resolve them at build time.
  await importOptional(() => import(specifier), specifier, hint);
  if (!(await tf.setBackend('tensorflow'))) throw new BackendUnavailable(`${specifier} loaded but its backend did not start`);
  return undefined;
}

/** Makes Dawn's navigator.gpu visible to tfjs-backend-webgpu (Node 20 has no navigator). */
async function installNavigatorGpu(): Promise<GPU> {
  const { create, globals } = (await import('webgpu')) as { create: (flags: string[]) => GPU; globals: object };
  Object.assign(globalThis, globals);
  const gpu = create([]);
  if (typeof globalThis.navigator === 'undefined') {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  } else {
    Object.defineProperty(globalThis.navigator, 'gpu', { value: gpu, configurable: true });
  }
  return gpu;
}

/** Whether the Vulkan loader Dawn needs is on this machine (checked first: Dawn warns loudly without it). */
function hasVulkanLoader(): boolean {
  const dirs = (process.env['LD_LIBRARY_PATH'] ?? '').split(':').filter(Boolean);
  return [...LIBVULKAN_PATHS, ...dirs.map((d) => `${d}/libvulkan.so.1`)].some((p) => existsSync(p));
}

/** The adapter's vendor, architecture and description, as one line. */
function describeAdapter(info: GPUAdapterInfo): string {
  const { vendor, architecture, description, device } = info;
  return [vendor, architecture, description || device].filter(Boolean).join(' ');
}

async function startWebgpu(options: StartOptions): Promise<string> {
  if (!hasVulkanLoader()) throw new BackendUnavailable('libvulkan.so.1 not found (apt-get install libvulkan1; needs an NVIDIA, AMD or Intel driver with Vulkan)');
  let gpu: GPU;
  try {
    gpu = await installNavigatorGpu();
  } catch (error) {
    if (isModuleMissing(error, 'webgpu')) throw new BackendUnavailable('package webgpu is not installed (npm install webgpu)');
    throw new BackendUnavailable(`webgpu (dawn.node) failed to load: ${String((error as Error).message).split('\n')[0]}`);
  }
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new BackendUnavailable('no GPU adapter found (the Vulkan loader is present, but no driver offers a device)');
  const software = adapter.info.architecture === 'software' || (adapter.info as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  if (software && !options.allowSoftwareAdapter) throw new SoftwareAdapter(`software adapter ${describeAdapter(adapter.info)} (use --backend webgpu to force)`);
  await importOptional(() => import('@tensorflow/tfjs-backend-webgpu'), '@tensorflow/tfjs-backend-webgpu', 'npm install @tensorflow/tfjs-backend-webgpu');
  registerWebgpuOverrides();
  if (!(await tf.setBackend('webgpu'))) throw new BackendUnavailable('the webgpu backend did not start on the adapter');
  watchDevice((tf.backend() as unknown as { device: GPUDevice }).device);
  return describeAdapter(adapter.info);
}

export interface StartOptions {
  /** Benchmarks only: wasm kernel overrides to leave out, to measure one against wasm's own kernel. */
  skipWasmOverrides?: readonly string[];
  /** Accept a software webgpu adapter (only when webgpu is asked for by name). */
  allowSoftwareAdapter?: boolean;
}

async function startWasm(options: StartOptions = {}): Promise<undefined> {
  await import('@tensorflow/tfjs-backend-wasm');
  registerMissingWasmKernels(options.skipWasmOverrides ? { skipOverrides: options.skipWasmOverrides } : {});
  if (!(await tf.setBackend('wasm'))) throw new BackendUnavailable('the wasm backend did not start');
  return undefined;
}

const STARTERS: Record<ConcreteBackend, (options: StartOptions) => Promise<string | undefined>> = {
  'tensorflow-gpu': () => startTensorflow('@tensorflow/tfjs-node-gpu', 'npm install @tensorflow/tfjs-node-gpu; needs CUDA 11.2 and cuDNN 8.1'),
  webgpu: startWebgpu,
  tensorflow: () => startTensorflow('@tensorflow/tfjs-node', 'npm install @tensorflow/tfjs-node'),
  wasm: startWasm,
  cpu: async () => {
    await tf.setBackend('cpu');
    return undefined;
  },
};

async function start(name: ConcreteBackend, options: StartOptions = {}): Promise<ActiveBackend> {
  const device = await STARTERS[name](options);
  await tf.ready();
  return device === undefined ? { name } : { name, device };
}

/** Starts the requested backend (the first available one for `auto`), or explains why it cannot. */
export async function startBackend(requested: BackendName, options: StartOptions = {}): Promise<ActiveBackend> {
  const candidates = requested === 'auto' ? AUTO_ORDER : [requested];
  const reasons: string[] = [];
  for (const name of candidates) {
    try {
      return await start(name, { ...options, allowSoftwareAdapter: requested === 'webgpu' });
    } catch (error) {
      if (!(error instanceof BackendUnavailable)) throw error;
      reasons.push(`${name}: ${error.message}`);
    }
  }
  throw new UsageError(`backend ${requested} is not available: ${reasons.join('; ')}; run \`memorize backends\` or pick another --backend`);
}

/** Availability of one backend, for `memorize backends`. */
export interface BackendReport {
  name: ConcreteBackend;
  status: 'available' | 'software' | 'unavailable'; // software: a software GPU adapter, which auto skips
  detail: string; // the device where available, otherwise why not
}

/** Tries every backend in `auto` order and reports each; `auto` is the first available. */
export async function probeBackends(): Promise<BackendReport[]> {
  const reports: BackendReport[] = [];
  for (const name of AUTO_ORDER) {
    try {
      const active = await start(name);
      reports.push({ name, status: 'available', detail: active.device ?? 'CPU' });
    } catch (error) {
      if (!(error instanceof BackendUnavailable)) throw error;
      reports.push({ name, status: error instanceof SoftwareAdapter ? 'software' : 'unavailable', detail: error.message });
    }
  }
  return reports;
}
