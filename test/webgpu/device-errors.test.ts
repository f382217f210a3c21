// GPU errors are loud: a validation error or a lost device, which Dawn reports only as an event while the
// command buffer is dropped, fails the next check in one line (the runner checks before it writes a trial).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { DeviceError, checkDeviceErrors } from '../../src/backend/device-errors.js';
import { startWebgpu } from './setup.js';

const device = (): GPUDevice => (tf.backend() as unknown as { device: GPUDevice }).device;

async function rejectsDeviceError(what: string, ...parts: string[]): Promise<void> {
  await assert.rejects(checkDeviceErrors(what), (error: unknown) => {
    assert.ok(error instanceof DeviceError, String(error));
    assert.ok(!error.message.includes('\n'), error.message);
    for (const part of parts) assert.ok(error.message.includes(part), `"${part}" not in: ${error.message}`);
    return true;
  });
}

test('a validation error fails the next check in one line, once', async () => {
  await startWebgpu();
  await checkDeviceErrors('nothing yet');
  device().createBuffer({ size: 4, usage: 0xffffff }); // invalid usage flags: a validation error, nothing thrown
  await rejectsDeviceError('trial 3', 'during trial 3', 'BufferUsage', 'rerunning resumes');
  await checkDeviceErrors('the next group'); // reported errors are consumed
  const y = tf.add(tf.ones([4]), tf.ones([4]));
  assert.deepEqual(Array.from(await y.data()), [2, 2, 2, 2]);
  y.dispose();
});

test('a lost device fails the next check', async () => {
  await startWebgpu();
  device().destroy();
  await rejectsDeviceError('trials 4, 5', 'device lost (destroyed)');
});
