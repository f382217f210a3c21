// Makes GPU errors loud. Dawn reports a rejected pipeline, a failed allocation or a lost device only as an
// event (and a line on stderr): the command buffer that hit it is dropped, and kernels before and after it
// return wrong values with nothing thrown. This records every such event of the backend's device, and
// checkDeviceErrors() turns them into one error before anything computed since is stored.
import { UsageError } from '../errors.js';

/** The parts of a GPUDevice this reads. */
interface WatchedDevice {
  addEventListener(type: 'uncapturederror', listener: (event: { error: { message: string } }) => void): void;
  lost: Promise<{ reason: string; message: string }>;
  queue: { onSubmittedWorkDone(): Promise<void> };
}

/** A GPU error: the results computed since the last check are not to be trusted. */
export class DeviceError extends UsageError {
  override name = 'DeviceError';
}

let watched: WatchedDevice | undefined;
const reported: string[] = [];

/** Starts recording the errors of `device` (the backend's GPUDevice). */
export function watchDevice(device: WatchedDevice): void {
  if (watched === device) return;
  watched = device;
  device.addEventListener('uncapturederror', (event) => reported.push(event.error.message));
  void device.lost.then((info) => reported.push(`device lost (${info.reason}): ${info.message}`));
}

const firstLine = (message: string): string => message.split('\n').find((line) => line.trim() !== '')?.trim() ?? message;

/** Throws a DeviceError if the watched device reported an error since the last check. Waits for the work
 * submitted so far first, so that its errors have arrived. Without a watched device (CPU backends) it returns. */
export async function checkDeviceErrors(what: string): Promise<void> {
  if (!watched) return;
  await watched.queue.onSubmittedWorkDone();
  if (reported.length === 0) return;
  const errors = reported.splice(0);
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  throw new DeviceError(`the GPU reported an error during ${what}, so its results were discarded: ${firstLine(errors[0]!)}${more}; finished trials are kept, and rerunning resumes (try --backend wasm to rule out the GPU)`);
}
