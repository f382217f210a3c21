// The paper-recipe files in configs/: every one passes validation and says where its numbers come from,
// and the recipes hold the numbers of supplement B.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readConfigFile } from '../../src/config/load.js';
import { resolveConfig, type Config } from '../../src/config/schema.js';

const DIR = fileURLToPath(new URL('../../../configs/', import.meta.url));
const load = async (name: string): Promise<Config> => resolveConfig(await readConfigFile(`${DIR}${name}.json`));

test('every config file validates and has a comment', async () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));
  for (const name of ['cifar100-resnet50', 'cifar10-resnet18', 'mnist-inception', 'cifar100-linear-probe', 'imagenet-resnet50', 'fashion-mnist-cnn']) {
    assert.ok(files.includes(`${name}.json`), `configs/${name}.json exists`);
  }
  for (const file of files) {
    const overrides = await readConfigFile(`${DIR}${file}`);
    assert.equal('comment' in overrides, false, `${file}: the comment is dropped from the settings`);
    const raw = JSON.parse(readFileSync(`${DIR}${file}`, 'utf8')) as { comment?: unknown };
    assert.equal(typeof raw.comment, 'string', `${file} has a comment`);
  }
});

const recipe = (c: Config) => [c.batchSize, c.learningRate, c.momentum, c.epochs, c.schedule, c.warmupFraction, c.augment, c.trials, c.subsetRatio];

test('supplement B: CIFAR-100 ResNet50, and ResNet18 with exactly the same hyper-parameters', async () => {
  const resnet50 = await load('cifar100-resnet50');
  assert.deepEqual([resnet50.dataset, resnet50.model, resnet50.cropPadding], ['cifar100', 'resnet50', 4]);
  assert.deepEqual(recipe(resnet50), [512, 0.4, 0.9, 160, 'warmup-linear', 0.15, 'crop-flip', 4000, 0.7]);
  const resnet18 = await load('cifar10-resnet18');
  assert.deepEqual([resnet18.dataset, resnet18.model], ['cifar10', 'resnet18']);
  assert.deepEqual(recipe(resnet18), recipe(resnet50));
  assert.equal(resnet18.weightDecay, resnet50.weightDecay);
});

test('supplement B: MNIST Inception, the linear probe and ImageNet', async () => {
  const mnist = await load('mnist-inception');
  assert.deepEqual([mnist.dataset, mnist.model], ['mnist', 'inception-small']);
  assert.deepEqual(recipe(mnist), [256, 0.1, 0.9, 30, 'warmup-linear', 0.15, 'none', 4000, 0.7]);
  const probe = await load('cifar100-linear-probe');
  assert.deepEqual([probe.model, probe.probeNetwork, probe.probeEpochs], ['linear-probe', 'resnet50', 160]);
  assert.deepEqual(recipe(probe), [512, 0.4, 0.9, 40, 'warmup-linear', 0.15, 'crop-flip', 4000, 0.7]);
  const imagenet = await load('imagenet-resnet50');
  assert.deepEqual(recipe(imagenet), [896, 0.7, 0.9, 100, 'warmup-step', 0.15, 'crop-flip', 2000, 0.7]);
  assert.deepEqual([imagenet.decayEpochs, imagenet.cropPadding, imagenet.warmupFraction * imagenet.epochs], [[30, 60, 90], 32, 15]);
});
