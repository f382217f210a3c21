// Run directories whose files other programs wrote (pyarrow's int64 defaults, a hand-made run.json): read
// when they are right, refused with one line before anything is written when they are not.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Table, makeVector, tableFromArrays, tableFromIPC, tableToIPC, type Vector } from 'apache-arrow';
import { column, runCli, tempDir } from '../helpers.js';

/** A table with every Int32 column widened to Int64, as pyarrow writes numpy's default integers. */
function widened(table: Table): Table {
  const columns: Record<string, Vector> = {};
  for (const field of table.schema.fields) {
    const vector = table.getChild(field.name)!;
    columns[field.name] = String(field.type) === 'Int32' ? makeVector(BigInt64Array.from(vector.toArray() as Int32Array, (v) => BigInt(v))) : vector;
  }
  const out = new Table(columns);
  for (const [key, value] of table.schema.metadata) out.schema.metadata.set(key, value);
  return out;
}

function rewrite(path: string, change: (table: Table) => Table): void {
  writeFileSync(path, tableToIPC(change(tableFromIPC(readFileSync(path))), 'file'));
}

function oneLine(result: { status: number | null; stderr: string }, message: RegExp): void {
  assert.equal(result.status, 2, result.stderr);
  assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  assert.match(result.stderr, message);
}

test('int64 labels and trial indices are read; out-of-range labels and an incomplete run.json are refused before any file is written', () => {
  const dir = tempDir();
  const config = join(dir, 'tiny.json');
  writeFileSync(config, JSON.stringify({ synthetic: { trainSize: 100, testSize: 50, classes: 4, subpopulationsPerClass: 10 } }));
  const runDir = join(dir, 'run');
  assert.equal(runCli(['train', '--config', config, '--model', 'knn', '--trials', '6', '--workers', '1', '--run-dir', runDir]).status, 0);
  assert.equal(runCli(['estimate', '--run-dir', runDir]).status, 0);
  const memPath = join(runDir, 'estimates', 'memorization.arrow');
  const expected = column(memPath, 'mem');

  for (const name of ['train-examples.arrow', 'test-examples.arrow']) rewrite(join(runDir, name), widened);
  for (const name of readdirSync(join(runDir, 'trials'))) rewrite(join(runDir, 'trials', name), widened);
  assert.equal(String(tableFromIPC(readFileSync(join(runDir, 'trials', 'trial-000000.arrow'))).getChild('trial')!.type), 'Int64');
  const estimated = runCli(['estimate', '--run-dir', runDir]);
  assert.equal(estimated.status, 0, estimated.stderr);
  assert.deepEqual(column(memPath, 'mem'), expected, 'the same estimates from int64 files');
  assert.equal(String(tableFromIPC(readFileSync(memPath)).getChild('label')!.type), 'Int32', 'labels are written as Int32');
  assert.equal(runCli(['pairs', '--run-dir', runDir]).status, 0);
  assert.equal(runCli(['train', '--config', config, '--model', 'knn', '--trials', '7', '--workers', '1', '--run-dir', runDir]).status, 0, 'a run with int64 files resumes');

  // A label that does not fit, or that is no class of the run: one line, and the old estimates stay as they were.
  const before = readFileSync(memPath);
  const labelsPath = join(runDir, 'train-examples.arrow');
  const good = readFileSync(labelsPath);
  const labels = column(labelsPath, 'label').map(Number); // int64 here
  writeFileSync(labelsPath, tableToIPC(tableFromArrays({ index: BigInt64Array.from(labels, (_, i) => BigInt(i)), label: BigInt64Array.from(labels, (y, i) => BigInt(i === 3 ? 2 ** 40 : y)) }), 'file'));
  oneLine(runCli(['estimate', '--run-dir', runDir]), /train-examples\.arrow: column "label" holds 1099511627776 at row 3, outside the int32 range/);
  writeFileSync(labelsPath, tableToIPC(tableFromArrays({ label: Int32Array.from(labels, (y, i) => (i === 5 ? 9 : y)) }), 'file'));
  oneLine(runCli(['estimate', '--run-dir', runDir]), /train-examples\.arrow: label 9 at row 5 is outside the classes \[0, 4\) of run\.json/);
  assert.deepEqual(readFileSync(memPath), before, 'no estimate was written');
  writeFileSync(labelsPath, good);

  // A hand-made run.json without a config hash: one line from train and estimate, no stack trace.
  const manifestPath = join(runDir, 'run.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
  delete manifest['configHash'];
  writeFileSync(manifestPath, JSON.stringify(manifest));
  oneLine(runCli(['train', '--config', config, '--model', 'knn', '--trials', '7', '--workers', '1', '--run-dir', runDir]), /run\.json is not a memorize run\.json \(its "configHash" is not a sha256\)/);
  oneLine(runCli(['estimate', '--run-dir', runDir]), /run\.json is not a memorize run\.json/);
  assert.ok(existsSync(join(runDir, 'trials', 'trial-000006.arrow')), 'no trial file was touched');
});
