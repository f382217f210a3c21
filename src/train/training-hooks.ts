// Hooks into the training loop of a worker: a check after every step (a worker whose parent is gone stops
// there) and a report after every epoch (loss, accuracy, time), sent to the parent for the log and the bar.
// Set once per process by the worker; the network learner hands them to fitNetworks.

/** One finished epoch of a group trained together: means over its networks and steps. */
export interface EpochReport {
  epoch: number; // 1-based
  epochs: number;
  loss: number | null; // mean training loss per network (with the weight-decay penalty); null where it is not counted (webgpu)
  accuracy: number | null; // fraction of the epoch's training batches predicted right; null likewise
  seconds: number; // wall time of the epoch
}

export interface TrainingHooks {
  afterStep?: () => void;
  afterEpoch?: (report: EpochReport) => void;
}

let current: TrainingHooks = {};

export function setTrainingHooks(hooks: TrainingHooks): void {
  current = hooks;
}

export function trainingHooks(): TrainingHooks {
  return current;
}
