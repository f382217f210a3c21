// The ImageNet schedule (warm-up, then 10x decays at given epochs) and the config's choice of schedule.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveConfig } from '../../src/config/schema.js';
import { learningRateAt, scheduleFor, stepLearningRateAt } from '../../src/train/schedule.js';

const close = (a: number, b: number) => Math.abs(a - b) < 1e-12;

test('warmup-step: linear warm-up over 15 of 100 epochs, then 0.7, 0.07, 0.007, 0.0007 from epochs 0, 30, 60, 90', () => {
  const stepsPerEpoch = 10;
  const total = 100 * stepsPerEpoch;
  const rate = (step: number) => stepLearningRateAt(step, stepsPerEpoch, total, 0.7, 0.15, [30, 60, 90]);
  assert.ok(close(rate(0), 0.7 / 150));
  assert.ok(close(rate(149), 0.7), 'the warm-up reaches the peak at its last step (end of epoch 15)');
  for (let s = 1; s < 150; s++) assert.ok(rate(s) > rate(s - 1), 'rising during the warm-up');
  for (const [from, to, value] of [[150, 299, 0.7], [300, 599, 0.07], [600, 899, 0.007], [900, 999, 0.0007]] as const) {
    for (let s = from; s <= to; s++) assert.ok(close(rate(s), value), `step ${s}: ${rate(s)}, expected ${value}`);
  }
});

test('the config picks the schedule: warmup-linear by default, warmup-step with decayEpochs', () => {
  const linear = scheduleFor(resolveConfig({ learningRate: 0.4 }), 10, 10);
  for (const s of [0, 14, 15, 50, 99]) assert.equal(linear(s), learningRateAt(s, 100, 0.4, 0.15));
  const step = scheduleFor(resolveConfig({ learningRate: 0.4, schedule: 'warmup-step', decayEpochs: [5, 8] }), 10, 10);
  assert.ok(close(step(49), 0.4) && close(step(50), 0.04) && close(step(79), 0.04) && close(step(80), 0.004) && close(step(99), 0.004));
});
