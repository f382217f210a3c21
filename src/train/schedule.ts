// The paper's learning-rate schedule (supplement B): linear warm-up from 0 to the peak over the first
// warmupFraction of the steps, then linear decay to 0 at the last step.

/** Learning rate at step `step` (0-based) of `totalSteps`. */
export function learningRateAt(step: number, totalSteps: number, peak: number, warmupFraction: number): number {
  const warmupSteps = Math.round(warmupFraction * totalSteps);
  if (step < warmupSteps) return (peak * (step + 1)) / warmupSteps;
  return (peak * (totalSteps - step)) / (totalSteps - warmupSteps);
}
