// Flag parsing for the analyses: threshold lists (FROM:TO:STEP or comma-separated) and integer flags.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseInteger, parseThresholds } from '../../src/cli/flags.js';
import { UsageError } from '../../src/errors.js';

test('thresholds as FROM:TO:STEP include both ends without float drift; a comma list is taken as given', () => {
  assert.deepEqual(parseThresholds('--thresholds', '0.05:0.95:0.1'), [0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95]);
  assert.deepEqual(parseThresholds('--thresholds', '0:1:0.25'), [0, 0.25, 0.5, 0.75, 1]);
  assert.deepEqual(parseThresholds('--thresholds', '0.3, 0.1'), [0.3, 0.1]);
  for (const bad of ['0.9:0.1:0.1', '0:1:0', 'a,b', '0:1']) assert.throws(() => parseThresholds('--thresholds', bad), UsageError, bad);
});

test('integer flags refuse fractions, words and values below the minimum', () => {
  assert.equal(parseInteger('--runs', '5', 1), 5);
  for (const bad of ['0', '2.5', 'five']) assert.throws(() => parseInteger('--runs', bad, 1), /--runs must (be an integer >= 1|be a number)/, bad);
});
