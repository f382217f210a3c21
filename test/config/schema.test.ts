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
  [{ subsetRatio: 1.5 }, /"subsetRatio" must be a number in \(0, 1\), got 1.5/],
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

test('subset size m = round(ratio * n), within [1, n - 1]', () => {
  assert.equal(subsetSize(50_000, 0.7), 35_000);
  assert.equal(subsetSize(10, 0.99), 9);
  assert.equal(subsetSize(10, 0.01), 1);
});
