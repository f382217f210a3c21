// Lists of training indices for `train --exclude`: JSON, text and Arrow (pairs.arrow's train_index), and bad lists.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readIndexFile } from '../../src/store/index-file.js';
import { writeColumns } from '../../src/store/tables.js';
import { rejectsUsage, tempDir } from '../helpers.js';

test('indices from JSON, text and an Arrow column come back distinct and ascending', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'a.json'), '[9, 2, 2, 40]');
  writeFileSync(join(dir, 'a.txt'), '9\n2, 2  40\n');
  writeFileSync(join(dir, 'empty.txt'), '\n');
  await writeColumns(join(dir, 'pairs.arrow'), { train_index: Int32Array.of(40, 9, 2, 9), test_index: Int32Array.of(1, 2, 3, 4) });
  await writeColumns(join(dir, 'examples.arrow'), { index: Int32Array.of(2, 9, 40), label: Int32Array.of(0, 0, 1) });
  for (const name of ['a.json', 'a.txt', 'pairs.arrow', 'examples.arrow']) assert.deepEqual(await readIndexFile(join(dir, name), '--exclude'), [2, 9, 40], name);
  assert.deepEqual(await readIndexFile(join(dir, 'empty.txt'), '--exclude'), []);
});

test('anything but a list of non-negative integers is refused in one line', async () => {
  const dir = tempDir();
  const cases: [string, string, string][] = [
    ['neg.txt', '3 -1', 'every entry must be a training index'],
    ['word.txt', '3 four', 'every entry must be a training index'],
    ['float.json', '[1.5]', 'every entry must be a training index'],
    ['object.json', '[{"i": 1}', 'is not a JSON array of training indices'],
  ];
  for (const [name, text, message] of cases) {
    writeFileSync(join(dir, name), text);
    await rejectsUsage(readIndexFile(join(dir, name), '--exclude'), message);
  }
  await writeColumns(join(dir, 'other.arrow'), { mem: Float64Array.of(0.5) });
  await rejectsUsage(readIndexFile(join(dir, 'other.arrow'), '--exclude'), 'has no column "index" or "train_index"');
  await rejectsUsage(readIndexFile(join(dir, 'missing.txt'), '--exclude'), 'cannot read --exclude file');
});
