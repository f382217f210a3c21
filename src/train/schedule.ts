// The paper's learning-rate schedules (supplement B). Both rise linearly from 0 to the peak over the
// first warmupFraction of the steps; CIFAR/MNIST then decay linearly to 0 at the last step, ImageNet
// stays piecewise constant with a 10x decay at given epochs (30, 60, 90 of 100).
import type { Config } from '../config/schema.js';

/** Each decay epoch divides the learning rate by this. */
const STEP_DECAY = 10;

/** Learning rate at step `step` (0-based) of `totalSteps` of the warm-up / linear-decay schedule. */
export function learningRateAt(step: number, totalSteps: number, peak: number, warmupFraction: number): number {
  const warmupSteps = Math.round(warmupFraction * totalSteps);
  if (step < warmupSteps) return (peak * (step + 1)) / warmupSteps;
  return (peak * (totalSteps - step)) / (totalSteps - warmupSteps);
}

/** Learning rate at `step` of the warm-up / step-decay schedule: the warm-up's rate, divided by 10 once
 * for every decay epoch at or before the step's epoch. */
export function stepLearningRateAt(step: number, stepsPerEpoch: number, totalSteps: number, peak: number, warmupFraction: number, decayEpochs: readonly number[]): number {
  const warmupSteps = Math.round(warmupFraction * totalSteps);
  const warm = step < warmupSteps ? (step + 1) / warmupSteps : 1;
  const epoch = Math.floor(step / stepsPerEpoch);
  const decays = decayEpochs.filter((e) => e <= epoch).length;
  return (peak * warm) / STEP_DECAY ** decays;
}

/** The configured schedule as a function of the step, for a run of `epochs` x `stepsPerEpoch` steps. */
export function scheduleFor(config: Pick<Config, 'schedule' | 'learningRate' | 'warmupFraction' | 'decayEpochs'>, epochs: number, stepsPerEpoch: number): (step: number) => number {
  const totalSteps = epochs * stepsPerEpoch;
  const { learningRate, warmupFraction, decayEpochs } = config;
  if (config.schedule === 'warmup-step') return (step) => stepLearningRateAt(step, stepsPerEpoch, totalSteps, learningRate, warmupFraction, decayEpochs);
  return (step) => learningRateAt(step, totalSteps, learningRate, warmupFraction);
}
