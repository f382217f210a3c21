// Every model trains one trial end to end through the real CLI on tiny CIFAR-100 and MNIST files written
// here, with the paper-recipe configs cut down by flags; plus margins in a real trial file, the linear
// probe's stored representations reused on resume, and the new settings' bad inputs.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeTrial, type BitView, type StoredTrial } from '../../src/store/trial-file.js';
import { runCli, tempDir } from '../helpers.js';

const config = (name: string): string => fileURLToPath(new URL(`../../../configs/${name}.json`, import.meta.url));
const bit = (view: BitView, i: number): number => (view.bytes[(view.bitOffset + i) >> 3]! >> ((view.bitOffset + i) & 7)) & 1;

/** A CIFAR-100 binary train.bin / test.bin: `train` and `test` records of 3074 bytes (coarse, fine, R, G, B planes),
 * 4 fine classes whose images differ in brightness, with seeded noise. */
function writeCifar100(dir: string, train: number, test: number): void {
  let state = 12345;
  const noise = () => ((state = (state * 1103515245 + 12345) & 0x7fffffff) >> 24) & 0x3f;
  const records = (count: number) =>
    Buffer.concat(
      Array.from({ length: count }, (_, i) => {
        const fine = i % 4;
        const record = Buffer.alloc(3074);
        record[0] = fine % 2; // coarse label
        record[1] = fine;
        for (let p = 2; p < 3074; p++) record[p] = 40 * fine + noise();
        return record;
      }),
    );
  writeFileSync(join(dir, 'train.bin'), records(train));
  writeFileSync(join(dir, 'test.bin'), records(test));
}

/** MNIST IDX files: `train` and `test` 28x28 images of 10 classes (label i mod 10). */
function writeMnist(dir: string, train: number, test: number): void {
  const idx = (dims: number[], body: Uint8Array) => {
    const header = Buffer.alloc(4 + 4 * dims.length);
    header.writeUInt32BE(0x800 + dims.length, 0);
    dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
    return Buffer.concat([header, body]);
  };
  for (const [prefix, count] of [['train', train], ['t10k', test]] as const) {
    writeFileSync(join(dir, `${prefix}-images-idx3-ubyte`), idx([count, 28, 28], Uint8Array.from({ length: count * 784 }, (_, p) => (Math.floor(p / 784) % 10) * 25 + (p % 7))));
    writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte`), idx([count], Uint8Array.from({ length: count }, (_, i) => i % 10)));
  }
}

const cifar = tempDir();
writeCifar100(cifar, 64, 16);
// 8 train and 4 test examples, one step of batch 8: ResNet50 training on 32x32 images needs ~330 MB of
// wasm memory per example in a batch (the batch norms keep every intermediate), and wasm has 4 GiB.
const SMALL = ['--trials', '1', '--limit-train', '8', '--limit-test', '4', '--epochs', '1', '--batch-size', '8', '--data-dir', cifar, '--backend', 'wasm', '--workers', '1'];
// ResNet50 takes ~1.2 s per training example on one core here: half of that, one example per class.
const SMALLEST = [...SMALL, '--limit-train', '4', '--limit-test', '2'];

/** Runs `memorize train` and returns run.json's sizes and the trial files, each checked by decodeTrial. */
function train(args: string[], runDir: string): { n: number; nTest: number; m: number; trials: StoredTrial[] } {
  const result = runCli(['train', ...args, '--run-dir', runDir]);
  assert.equal(result.status, 0, result.stderr);
  const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { m: number; dataset: { n: number; nTest: number } };
  const { n, nTest } = run.dataset;
  const files = readdirSync(join(runDir, 'trials')).sort();
  const trials = files.map((f) => decodeTrial(readFileSync(join(runDir, 'trials', f)), f, { n, nTest }));
  return { n, nTest, m: run.m, trials };
}

function assertOneTrial(out: ReturnType<typeof train>, n: number, nTest: number): void {
  assert.deepEqual([out.n, out.nTest, out.m], [n, nTest, Math.round(0.7 * n)]);
  assert.equal(out.trials.length, 1);
  const [trial] = out.trials;
  assert.equal(trial!.trial, 0);
  assert.equal(trial!.subset.length, n);
  assert.equal(trial!.testCorrect.length, nTest);
  let inSubset = 0;
  for (let i = 0; i < n; i++) inSubset += bit(trial!.subset, i);
  assert.equal(inSubset, out.m);
  assert.ok(trial!.trainAccuracy >= 0 && trial!.trainAccuracy <= 1);
}

test('resnet50 trains one trial from configs/cifar100-resnet50.json (crop-flip) on tiny CIFAR-100', () => {
  assertOneTrial(train(['--config', config('cifar100-resnet50'), ...SMALLEST], join(tempDir(), 'run')), 4, 2);
});

for (const model of ['mlp', 'cnn', 'knn', 'resnet18', 'inception-small']) {
  test(`${model} trains one trial with the CIFAR-100 recipe on tiny CIFAR-100`, () => {
    assertOneTrial(train(['--config', config('cifar100-resnet50'), ...SMALL, '--model', model], join(tempDir(), 'run')), 8, 4);
  });
}

test('linear-probe trains its resnet50 once; a resumed run reuses the stored representations', () => {
  const runDir = join(tempDir(), 'run');
  const args = ['--config', config('cifar100-linear-probe'), ...SMALLEST, '--probe-epochs', '1'];
  assertOneTrial(train(args, runDir), 4, 2);
  const stored = join(runDir, 'probe-representations.arrow');
  const before = { bytes: readFileSync(stored), mtime: statSync(stored).mtimeMs };
  const resumed = train([...args, '--trials', '2'], runDir);
  assert.equal(resumed.trials.length, 2);
  assert.equal(statSync(stored).mtimeMs, before.mtime, 'not rewritten');
  assert.deepEqual(readFileSync(stored), before.bytes);
});

test('inception-small trains one trial from configs/mnist-inception.json on tiny MNIST', () => {
  const mnist = tempDir();
  writeMnist(mnist, 20, 10);
  const out = train(['--config', config('mnist-inception'), '--trials', '1', '--epochs', '1', '--batch-size', '8', '--data-dir', mnist, '--backend', 'wasm', '--workers', '1'], join(tempDir(), 'run'));
  assertOneTrial(out, 20, 10);
});

test('--record margins: a real trial file holds margins whose sign agrees with correctness', () => {
  const out = train(['--config', config('cifar100-resnet50'), ...SMALL, '--model', 'cnn', '--limit-train', '64', '--limit-test', '16', '--epochs', '3', '--record', 'margins'], join(tempDir(), 'run'));
  const [trial] = out.trials;
  assert.equal(trial!.trainMargin?.length, 64);
  assert.equal(trial!.testMargin?.length, 16);
  let right = 0;
  for (const [margins, correct] of [[trial!.trainMargin, trial!.trainCorrect], [trial!.testMargin, trial!.testCorrect]] as const) {
    margins.forEach((margin, i) => {
      right += bit(correct, i);
      if (margin !== 0) assert.equal(margin > 0, bit(correct, i) === 1, `example ${i}: margin ${margin}`);
    });
  }
  assert.ok(right > 0 && right < 80, `${right} of 80 right: both signs occur`);
});

const badInputs: [string, (dir: string) => string[], RegExp][] = [
  ['margins of knn', () => ['--dataset', 'cifar100', '--model', 'knn', '--record', 'margins'], /--record margins needs a model with logits, and knn has none/],
  ['--record what', () => ['--dataset', 'cifar100', '--record', 'losses'], /--record must be margins, got "losses"/],
  ['--limit-train beyond the data', () => ['--dataset', 'cifar100', '--model', 'knn', '--limit-train', '65'], /--limit-train 65 is more than the 64 train examples of cifar100; use at most 64/],
  ['--limit-test 0', () => ['--dataset', 'cifar100', '--limit-test', '0'], /--limit-test must be null or an integer >= 1, got 0/],
  ['a probe network that is not one', () => ['--dataset', 'cifar100', '--model', 'linear-probe', '--probe-network', 'knn'], /probeNetwork \(--probe-network\) must name a network \(mlp, cnn, resnet18, resnet50, inception-small\), got "knn"/],
  ['the ImageNet reference config', () => ['--config', config('imagenet-resnet50')], /unknown data set "imagenet"; expected one of/],
];
for (const [name, args, message] of badInputs) {
  test(`bad input (${name}): one line on stderr, exit 2`, () => {
    const dir = tempDir();
    const result = runCli(['train', '--data-dir', cifar, '--backend', 'wasm', '--workers', '1', '--trials', '1', ...args(dir), '--run-dir', join(dir, 'r')]);
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, message);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  });
}

test('a run resumed with other limits is refused: the limits are part of the data fingerprint', () => {
  const runDir = join(tempDir(), 'run');
  const args = ['--dataset', 'cifar100', '--model', 'knn', '--data-dir', cifar, '--workers', '1', '--trials', '2', '--limit-test', '8'];
  assert.equal(runCli(['train', ...args, '--limit-train', '32', '--run-dir', runDir]).status, 0);
  const result = runCli(['train', ...args, '--limit-train', '40', '--run-dir', runDir]);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /was made with different data/);
});
