// `memorize report` end to end on tiny runs: one self-contained page whose images are the data set's own
// pixels, counts against t that end at pairs.json's, a line naming the command for each missing piece,
// `memorize run` writing it too, no TensorFlow.js loaded, and one-line refusals (exit 2) of bad input.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { decode } from 'fast-png';
import { hashConfig, type Config } from '../../src/config/schema.js';
import { readCifar } from '../../src/data/cifar.js';
import { cliOk as cli, runCli, tempDir, trainKnnOnCifar } from '../helpers.js';

const TINY = { synthetic: { trainSize: 300, testSize: 120, classes: 5, subpopulationsPerClass: 30 } };

function refused(args: string[], pattern: RegExp): void {
  const result = runCli(args);
  assert.equal(result.status, 2, result.stderr);
  assert.equal(result.stderr.trim().split('\n').length, 1, `one line: ${result.stderr}`);
  assert.match(result.stderr, pattern);
}

/** The images of the page whose title names them, e.g. "train #12, ...", as decoded PNGs. */
function imagesByTitle(html: string): Map<string, ReturnType<typeof decode>> {
  const images = new Map<string, ReturnType<typeof decode>>();
  for (const match of html.matchAll(/<img src="data:image\/png;base64,([^"]+)" alt="[^"]*" title="((?:train|test) #\d+)/g)) images.set(match[2]!, decode(Buffer.from(match[1]!, 'base64')));
  return images;
}

test('report on CIFAR-format files: the images are the examples\' pixels, the page needs nothing outside it', async () => {
  const { data, runDir } = trainKnnOnCifar(tempDir(), { train: 200, test: 60, subpopulationsPerClass: 8, trials: 40, workers: 1, seed: 2 });
  refused(['report', '--run-dir', runDir, '--data-dir', data], /memorization\.arrow; run `memorize estimate --run-dir .*` first/);
  cli(['estimate', '--run-dir', runDir]);
  const out = cli(['report', '--run-dir', runDir, '--data-dir', data]);
  assert.match(out, new RegExp(`report: ${join(runDir, 'report', 'index.html')} \\(`));
  const html = readFileSync(join(runDir, 'report', 'index.html'), 'utf8');
  assert.match(html, /High-influence pairs: not in this run directory yet; <code>memorize pairs --run-dir /);
  assert.match(html, /<code>memorize compare /);
  assert.match(html, /<code>memorize ablate --from /);
  assert.equal(/(src|href)="(?!data:|#)/.test(html), false, 'no external source or link');
  assert.doesNotMatch(html.replace(/xmlns(:xlink)?="http[^"]+"/g, ''), /https?:\/\//);

  cli(['pairs', '--run-dir', runDir]);
  cli(['report', '--run-dir', runDir, '--data-dir', data]);
  const page = readFileSync(join(runDir, 'report', 'index.html'), 'utf8');
  const dataset = await readCifar(data, 'cifar10');
  const images = imagesByTitle(page);
  assert.ok([...images.keys()].some((k) => k.startsWith('test')), 'pair panels show test examples');
  for (const [title, png] of images) {
    const [split, index] = [title.split(' ')[0] as 'train' | 'test', Number(title.split('#')[1])];
    assert.deepEqual([png.width, png.height, png.channels], [32, 32, 3]);
    assert.deepEqual(Buffer.from(png.data as Uint8Array), Buffer.from(dataset[split].images.subarray(index * 3072, (index + 1) * 3072)), title);
  }
  const summary = JSON.parse(readFileSync(join(runDir, 'pairs.json'), 'utf8')) as { pairs: number };
  const counts = [...page.matchAll(/<tr><td>(\d+)<\/td><td>(\d+)<\/td><td>(\d+)<\/td><\/tr>/g)].map((m) => m.slice(1).map(Number));
  assert.deepEqual(counts.map((c) => c[0]), [5, 10, 20, 40], 'counts at t/8, t/4, t/2, t');
  assert.equal(counts.at(-1)![2], summary.pairs, 'the count at t is the pairs command\'s');

  const changed = readFileSync(join(data, 'test_batch.bin'));
  changed[5] = (changed[5]! + 1) & 0xff;
  writeFileSync(join(data, 'test_batch.bin'), changed);
  refused(['report', '--run-dir', runDir, '--data-dir', data], /the cifar10 data found now \(fingerprint [0-9a-f]{12}\) are not those of .*give the --data-dir the run was made with/);
});

test('memorize run writes the report; a mismatched estimates set is refused in one line', () => {
  const dir = tempDir();
  const config = join(dir, 'tiny.json');
  writeFileSync(config, JSON.stringify(TINY));
  const runDir = join(dir, 'run');
  const out = cli(['run', '--config', config, '--model', 'knn', '--trials', '30', '--workers', '1', '--run-dir', runDir]);
  assert.match(out, new RegExp(`report: ${join(runDir, 'report', 'index.html')} `));
  const html = readFileSync(join(runDir, 'report', 'index.html'), 'utf8');
  for (const id of ['run', 'memorization', 'influence', 'trust', 'compare', 'ablation', 'ground-truth']) assert.match(html, new RegExp(`<section id="${id}">`));
  assert.match(html, /of the selected pairs join a training and a test example of the same subpopulation/);

  copyFileSync(join(runDir, 'estimates', 'memorization.arrow'), join(dir, 'memorization-30.arrow'));
  cli(['estimate', '--run-dir', runDir, '--trials', '0:19']);
  copyFileSync(join(dir, 'memorization-30.arrow'), join(runDir, 'estimates', 'memorization.arrow'));
  refused(['report', '--run-dir', runDir], /memorization\.arrow and influence\.arrow come from two different estimates .*; run `memorize estimate/);

  cli(['estimate', '--run-dir', runDir]);
  const manifest = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { config: Config; configHash: string };
  manifest.config.dataset = 'imported'; // as `memorize import` writes it for .npy labels
  manifest.configHash = hashConfig(manifest.config);
  writeFileSync(join(runDir, 'run.json'), JSON.stringify(manifest));
  refused(['report', '--run-dir', runDir], /made on "imported", which memorize does not read .*--dataset <name> --file-order/);
});

test('the report module loads no TensorFlow.js', () => {
  const hook = `export async function resolve(s, c, next) { if (/^@tensorflow\\/tfjs(?!.*package\\.json)/.test(s)) process.stderr.write('TFJS ' + s + '\\n'); return next(s, c); }`;
  const script = `import { register } from 'node:module'; register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));
const { report } = await import(${JSON.stringify(pathToFileURL(join(import.meta.dirname, '../../src/commands/report.js')).href)});
await report({ runDir: process.argv[1] }).catch((e) => process.stdout.write(e.message));`;
  const dir = tempDir();
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script, join(dir, 'nowhere')], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /no run in/, 'the module loaded and ran');
  assert.doesNotMatch(result.stderr, /TFJS/);
});
