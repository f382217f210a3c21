// Report benchmark at CIFAR-100's shape: writes CIFAR-100-format files of 50,000 train and 10,000 test
// images (test/cifar-files.ts) and a run directory of t trials through the store modules (simulated
// correctness: a long tail of examples right only when in the subset, and test examples that depend on one
// training partner), runs the real `estimate` and `pairs`, then times `report` and measures its page.
//   node dist/scripts/bench-report.js [--trials 2000] [--train 50000] [--test 10000] [--keep DIR]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { estimate } from '../src/commands/estimate.js';
import { pairs } from '../src/commands/pairs.js';
import { report } from '../src/commands/report.js';
import { hashConfig, resolveConfig, subsetSize } from '../src/config/schema.js';
import { readCifar } from '../src/data/cifar.js';
import { RunDirectory } from '../src/store/run-dir.js';
import { makeRandom, shuffled } from '../src/train/seeds.js';
import { writeCifarLike } from '../test/cifar-files.js';

const { values } = parseArgs({ options: { trials: { type: 'string', default: '2000' }, train: { type: 'string', default: '50000' }, test: { type: 'string', default: '10000' }, keep: { type: 'string' } } });
const [t, nTrain, nTest] = [Number(values.trials), Number(values.train), Number(values.test)];
const root = values.keep ?? mkdtempSync(join(tmpdir(), 'bench-report-'));
const dataDir = join(root, 'cifar100');
const seconds = (start: number): string => ((performance.now() - start) / 1000).toFixed(1);

let start = performance.now();
writeCifarLike(dataDir, { variant: 'cifar100', train: nTrain, test: nTest, subpopulationsPerClass: 60, seed: 1 });
const data = await readCifar(dataDir, 'cifar100');
const config = resolveConfig({ dataset: 'cifar100', model: 'resnet50', trials: t, workers: 1 });
const m = subsetSize(nTrain, config.subsetRatio);
const runDir = new RunDirectory(join(root, 'run'));
const configHash = hashConfig(config);
await runDir.createOrCheck(
  { format: 'run/1', config, configHash, dataset: { name: 'cifar100', fingerprint: data.fingerprint, n: nTrain, nTest, numClasses: 100, imageShape: data.imageShape }, m, trials: t, seed: config.seed, versions: { memorize: 'bench' }, createdAt: new Date().toISOString() },
  { label: data.train.labels },
  { label: data.test.labels },
);
console.log(`data and run.json: ${seconds(start)} s (${root})`);

// Simulated trials: 30% of the training examples are right only when trained on (memorized); the test
// example j of every 10th position depends on one training partner of its class.
start = performance.now();
const random = makeRandom('bench-report', 1);
const memorized = Uint8Array.from({ length: nTrain }, () => (random() < 0.3 ? 1 : 0));
const partner = Int32Array.from({ length: nTest }, (_, j) => (j % 10 === 0 ? j % nTrain : -1)); // same class: labels cycle k % 100
const all = Int32Array.from({ length: nTrain }, (_, i) => i);
for (let k = 0; k < t; k++) {
  const trialRandom = makeRandom('bench-report-trial', k);
  const subset = new Uint8Array(nTrain);
  for (const i of shuffled(all, trialRandom).subarray(0, m)) subset[i] = 1;
  const trainCorrect = Uint8Array.from(subset, (inSubset, i) => (inSubset || !memorized[i] ? (trialRandom() < 0.95 ? 1 : 0) : trialRandom() < 0.1 ? 1 : 0));
  const testCorrect = Uint8Array.from(partner, (i) => (i >= 0 ? (trialRandom() < (subset[i] ? 0.9 : 0.3) ? 1 : 0) : trialRandom() < 0.72 ? 1 : 0));
  const accuracy = (mask: Uint8Array): number => mask.reduce((a, b) => a + b, 0) / mask.length;
  await runDir.writeTrial({ trial: k, seed: k, subset, trainCorrect, testCorrect, trainAccuracy: accuracy(trainCorrect), testAccuracy: accuracy(testCorrect), seconds: 30 }, { configHash, dataset: 'cifar100', backend: 'simulated' });
}
console.log(`${t} trial files: ${seconds(start)} s`);

start = performance.now();
await estimate({ runDir: runDir.root });
console.log(`estimate: ${seconds(start)} s`);
start = performance.now();
const selected = await pairs({ runDir: runDir.root, thetaMem: 0.25, thetaInfl: 0.15 });
console.log(`pairs: ${seconds(start)} s (${selected.summary.pairs} pairs)`);

const result = await report({ runDir: runDir.root, data: { dataDir } });
console.log(`report: ${result.seconds.toFixed(1)} s, ${(result.bytes / 1e6).toFixed(2)} MB, ${result.path}`);
if (values.keep === undefined) rmSync(root, { recursive: true, force: true });
