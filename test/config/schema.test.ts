// Config layering, validation messages and the result hash.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_CONFIG, hashConfig, resolveConfig, subsetSize, validateOverrides } from '../../src/config/schema.js';
import { UsageError } from '../../src/errors.js';

test('later layers override earlier ones, nested synthetic settings merge', () => {
  const config = resolveConfig({ epochs: 3, synthetic: { classes: 4 } }, { epochs: 5, synthetic: { trainSize: 100 } });
  assert.equal(config.epochs, 5);
  assert.equal(config.synthetic.classes, 4);
  assert.equal(config.synthetic.trainSize, 100);
  assert.equal(config.synthetic.testSize, DEFAULT_CONFIG.synthetic.testSize);
  assert.equal(config.model, DEFAULT_CONFIG.model);
});

const invalid: [unknown, RegExp][] = [
  [{ trials: 0 }, /"trials" must be an integer >= 1, got 0/],
  [{ trials: 'abc' }, /"trials" must be an integer >= 1, got "abc"/],
  [{ subsetRatio: 1.5 }, /"subsetRatio" must be a number in \(0, 1\], got 1.5/],
  [{ backend: 'tpu' }, /"backend" must be one of auto, tensorflow-gpu, webgpu, tensorflow, wasm, cpu, got "tpu"/],
  [{ epocs: 3 }, /unknown setting "epocs"; expected one of/],
  [{ synthetic: { classes: 1 } }, /"synthetic.classes" must be an integer >= 2, got 1/],
  [{ synthetic: 3 }, /"synthetic" must be an object/],
  [[1, 2], /expected a JSON object of settings/],
];
for (const [raw, message] of invalid) {
  test(`refuses ${JSON.stringify(raw)} with expected-vs-got`, () => {
    assert.throws(() => validateOverrides(raw, 'configs/x.json'), (e: unknown) => e instanceof UsageError && message.test(e.message) && e.message.startsWith('configs/x.json: '));
  });
}

test('a comment field is allowed in config files', () => {
  assert.doesNotThrow(() => validateOverrides({ comment: 'from supplement B', epochs: 2 }, 'f.json'));
});

test('the hash covers what changes results, not trials, backend or workers', () => {
  const base = hashConfig(DEFAULT_CONFIG);
  assert.match(base, /^[0-9a-f]{64}$/);
  assert.equal(hashConfig(resolveConfig({ trials: 9, backend: 'cpu', workers: 7 })), base);
  assert.notEqual(hashConfig(resolveConfig({ learningRate: 0.2 })), base);
  assert.notEqual(hashConfig(resolveConfig({ synthetic: { noise: 0.7 } })), base);
  // Synthetic settings do not matter for another data set.
  assert.equal(hashConfig(resolveConfig({ dataset: 'cifar10', synthetic: { noise: 0.7 } })), hashConfig(resolveConfig({ dataset: 'cifar10' })));
});

test('subset size m = round(ratio * n), within [1, n - 1]; n for the full-set mode (ratio 1)', () => {
  assert.equal(subsetSize(10, 1), 10);
  assert.equal(subsetSize(50_000, 0.7), 35_000);
  assert.equal(subsetSize(10, 0.99), 9);
  assert.equal(subsetSize(10, 0.01), 1);
});

test('settings added for the paper recipes keep the hash of runs made before them', () => {
  // Hashes of the defaults and of a CIFAR config as computed before schedule, limits, probe and margin settings existed.
  assert.equal(hashConfig(DEFAULT_CONFIG), 'b3eb2e7a2011060c9f0853c943419306ee93cc2b4c64f4dd972a348f5b6e9a06');
  assert.equal(hashConfig(resolveConfig({ dataset: 'cifar100', model: 'cnn', epochs: 3 })), '37f05be75500e6ce29c02f11e858eeea2819c8d478936f7901a2f6d6b684f133');
});

test('the hash covers limits, schedule and the probe where they apply, and not recordMargins', () => {
  const base = hashConfig(DEFAULT_CONFIG);
  assert.equal(hashConfig(resolveConfig({ recordMargins: true })), base, 'margins are extra output, not a different result');
  assert.notEqual(hashConfig(resolveConfig({ limitTrain: 100 })), base);
  assert.notEqual(hashConfig(resolveConfig({ limitTest: 100 })), base);
  assert.notEqual(hashConfig(resolveConfig({ schedule: 'warmup-step' })), base);
  assert.notEqual(hashConfig(resolveConfig({ schedule: 'warmup-step', decayEpochs: [3] })), hashConfig(resolveConfig({ schedule: 'warmup-step' })));
  assert.equal(hashConfig(resolveConfig({ decayEpochs: [3] })), base, 'decay epochs do nothing in the linear schedule');
  assert.equal(hashConfig(resolveConfig({ probeEpochs: 3, probeNetwork: 'cnn' })), base, 'probe settings do nothing without the linear probe');
  const probe = hashConfig(resolveConfig({ model: 'linear-probe' }));
  assert.notEqual(hashConfig(resolveConfig({ model: 'linear-probe', probeEpochs: 3 })), probe);
  assert.notEqual(hashConfig(resolveConfig({ model: 'linear-probe', probeNetwork: 'cnn' })), probe);
  assert.equal(hashConfig(resolveConfig({ cropPadding: 8 })), base, 'padding does nothing without crop-flip');
  const flipped = hashConfig(resolveConfig({ augment: 'crop-flip' }));
  assert.notEqual(flipped, base);
  assert.notEqual(hashConfig(resolveConfig({ augment: 'crop-flip', cropPadding: 8 })), flipped);
});

const invalidNew: [unknown, RegExp][] = [
  [{ limitTrain: 1 }, /"limitTrain" must be null or an integer >= 2, got 1/],
  [{ limitTest: 2.5 }, /"limitTest" must be null or an integer >= 1, got 2.5/],
  [{ schedule: 'cosine' }, /"schedule" must be one of warmup-linear, warmup-step, got "cosine"/],
  [{ decayEpochs: [60, 30] }, /"decayEpochs" must be an ascending list of integers >= 1 \(epochs\), got \[60,30\]/],
  [{ decayEpochs: 30 }, /"decayEpochs" must be an ascending list/],
  [{ recordMargins: 'yes' }, /"recordMargins" must be true or false, got "yes"/],
  [{ cropPadding: 0 }, /"cropPadding" must be an integer >= 1, got 0/],
  [{ probeEpochs: 0 }, /"probeEpochs" must be an integer >= 1, got 0/],
];
for (const [raw, message] of invalidNew) {
  test(`refuses ${JSON.stringify(raw)} with expected-vs-got`, () => {
    assert.throws(() => validateOverrides(raw, 'configs/x.json'), (e: unknown) => e instanceof UsageError && message.test(e.message));
  });
}

test('limits may be null (all examples) in a config file', () => {
  assert.equal(resolveConfig(validateOverrides({ limitTrain: null, limitTest: 10 }, 'f.json')).limitTrain, null);
});

test('an exclusion is part of the hash when there is one, and must list distinct ascending indices', () => {
  const base = hashConfig(DEFAULT_CONFIG);
  assert.equal(hashConfig(resolveConfig({ exclude: [] })), base, 'no exclusion keeps the hash of older runs');
  assert.notEqual(hashConfig(resolveConfig({ exclude: [4] })), base);
  assert.notEqual(hashConfig(resolveConfig({ exclude: [4] })), hashConfig(resolveConfig({ exclude: [5] })));
  for (const bad of [[3, 3], [5, 2], [-1], [1.5], 'all']) {
    assert.throws(() => validateOverrides({ exclude: bad }, 'test'), /"exclude" must be an ascending list of distinct training indices/);
  }
});
