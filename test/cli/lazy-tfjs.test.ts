// Only the commands that train load TensorFlow.js: --help, train --help, estimate and pairs run under a module hook that
// fails on any @tensorflow import, and train does import it under the same hook.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { CLI, tempDir } from '../helpers.js';

function runWithoutTfjs(args: string[]) {
  const dir = tempDir();
  const hook = join(dir, 'hook.mjs');
  writeFileSync(hook, "export async function resolve(specifier, context, next) { if (specifier.startsWith('@tensorflow/')) throw new Error(`TFJS LOADED: ${specifier}`); return next(specifier, context); }\n");
  const register = join(dir, 'register.mjs');
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hook).href)});\n`);
  return spawnSync(process.execPath, ['--import', pathToFileURL(register).href, CLI, ...args], { encoding: 'utf8' });
}

test('--help, estimate and pairs do not load TensorFlow.js; train does', () => {
  const help = runWithoutTfjs(['--help']);
  assert.equal(help.status, 0, help.stderr);
  const trainHelp = runWithoutTfjs(['train', '--help']);
  assert.equal(trainHelp.status, 0, trainHelp.stderr);
  assert.match(trainHelp.stdout, /mlp \(two hidden relu layers/, 'the model descriptions are in the help without the builders');
  for (const command of ['estimate', 'pairs']) {
    const result = runWithoutTfjs([command, '--run-dir', join(tempDir(), 'none')]);
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /no run in/);
    assert.doesNotMatch(result.stderr, /TFJS LOADED/);
  }
  const train = runWithoutTfjs(['train', '--run-dir', join(tempDir(), 'run'), '--trials', '1']);
  assert.notEqual(train.status, 0);
  assert.match(train.stderr, /TFJS LOADED/, 'the hook does catch a TensorFlow.js import');
});
