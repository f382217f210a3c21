// Only the commands that train load TensorFlow.js: --help, train --help, and estimate, pairs, report, status and
// slurm submit --dry-run on a real run, run under a module hook that fails on any @tensorflow import; train does
// import it under the same hook.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { CLI, cliOk, tempDir } from '../helpers.js';

function runWithoutTfjs(args: string[]) {
  const dir = tempDir();
  const hook = join(dir, 'hook.mjs');
  writeFileSync(hook, "export async function resolve(specifier, context, next) { if (specifier.startsWith('@tensorflow/')) throw new Error(`TFJS LOADED: ${specifier}`); return next(specifier, context); }\n");
  const register = join(dir, 'register.mjs');
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hook).href)});\n`);
  return spawnSync(process.execPath, ['--import', pathToFileURL(register).href, CLI, ...args], { encoding: 'utf8' });
}

test('--help, estimate, pairs, report, status and slurm submit do not load TensorFlow.js; train does', () => {
  const help = runWithoutTfjs(['--help']);
  assert.equal(help.status, 0, help.stderr);
  const trainHelp = runWithoutTfjs(['train', '--help']);
  assert.equal(trainHelp.status, 0, trainHelp.stderr);
  assert.match(trainHelp.stdout, /mlp \(two hidden relu layers/, 'the model descriptions are in the help without the builders');

  // A real run (trained without the hook), then every command that reads it, each to its end.
  const dir = tempDir();
  const config = join(dir, 'tiny.json');
  writeFileSync(config, JSON.stringify({ synthetic: { trainSize: 200, testSize: 60, classes: 4, subpopulationsPerClass: 20 } }));
  const runDir = join(dir, 'run');
  const trainArgs = ['--config', config, '--model', 'knn', '--trials', '4', '--workers', '1', '--run-dir', runDir];
  cliOk(['train', ...trainArgs]);
  const expected: [string[], RegExp][] = [
    [['estimate', '--run-dir', runDir], /^estimate: 4 trials/],
    [['pairs', '--run-dir', runDir], /^pairs: \d+ high-influence pairs .* from 4 trials/],
    [['report', '--run-dir', runDir], /^report: .*index\.html/],
    [['status', '--run-dir', runDir], /^status: 4 of 4 trials finished/],
    [['slurm', 'submit', ...trainArgs, '--dry-run'], /^#SBATCH --job-name=memorize-train/m],
  ];
  for (const [args, output] of expected) {
    const result = runWithoutTfjs(args);
    assert.equal(result.status, 0, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stdout, output, args[0]);
    assert.doesNotMatch(result.stderr, /TFJS LOADED/);
  }
  const train = runWithoutTfjs(['train', '--run-dir', join(tempDir(), 'run'), '--trials', '1']);
  assert.notEqual(train.status, 0);
  assert.match(train.stderr, /TFJS LOADED/, 'the hook does catch a TensorFlow.js import');
});
