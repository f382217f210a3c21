// Starts the webgpu backend for the webgpu tests (`npm run test:webgpu`, on lavapipe in CI): it must start,
// since a webgpu test that skips would hide the GPU path. WEBGPU_CPU_FORWARD off, so that small tensors run
// on the GPU kernels too, not on tfjs's CPU kernels inside the webgpu backend.
import * as tf from '@tensorflow/tfjs';
import { startBackend, type ActiveBackend } from '../../src/backend/select.js';

export async function startWebgpu(): Promise<ActiveBackend> {
  const active = await startBackend('webgpu'); // throws, failing the test, where no adapter is found
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  return active;
}
