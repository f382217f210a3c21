// The paper's networks: parameter counts against the published architectures, output shapes, seeding, memory.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildInceptionSmall } from '../../src/models/inception-small.js';
import { buildResnet18, buildResnet50 } from '../../src/models/resnet.js';
import type { NetworkBuilder, NetworkSpec } from '../../src/models/types.js';

const CIFAR: [number, number, number] = [32, 32, 3];
const MNIST: [number, number, number] = [28, 28, 1];

function spec(inputShape: [number, number, number], numClasses: number, seed = 1): NetworkSpec {
  return { inputShape, numClasses, seed, weightDecay: 5e-4 };
}

before(async () => {
  await tf.setBackend('cpu');
});

interface Counts {
  /** tfjs's model.countParams(): includes batch norm moving mean/variance. */
  tfjs: number;
  /** What PyTorch's sum(p.numel() for p in model.parameters()) counts: the trainable weights only. */
  pytorch: number;
}

function size(shape: readonly (number | null)[]): number {
  return shape.reduce<number>((a, b) => {
    assert.ok(b !== null, 'fully defined weight shape');
    return a * b;
  }, 1);
}

/** Counts parameters both ways, checking that the only non-trainable weights are BN running statistics. */
function counts(model: tf.LayersModel): Counts {
  const trainable = model.trainableWeights.reduce((n, w) => n + size(w.shape), 0);
  let runningStats = 0;
  for (const w of model.nonTrainableWeights) {
    assert.match(w.originalName, /\/moving_(mean|variance)$/, `unexpected non-trainable weight ${w.originalName}`);
    runningStats += size(w.shape);
  }
  let bnChannels = 0;
  for (const layer of model.layers) {
    if (layer.getClassName() === 'BatchNormalization') bnChannels += size(layer.getWeights()[0]?.shape ?? []);
  }
  assert.equal(runningStats, 2 * bnChannels, 'two running statistics per batch-norm channel');
  const tfjs = model.countParams();
  assert.equal(tfjs, trainable + runningStats);
  return { tfjs, pytorch: trainable };
}

/** Builds, runs `body`, disposes, and checks that no tensor leaked. */
async function withModel(
  build: NetworkBuilder,
  s: NetworkSpec,
  body: (model: tf.LayersModel) => void | Promise<void>,
): Promise<void> {
  const before = tf.memory().numTensors;
  const model = build(s);
  try {
    await body(model);
  } finally {
    model.dispose();
  }
  assert.equal(tf.memory().numTensors, before, 'all tensors released after model.dispose()');
}

function checkOutputShape(model: tf.LayersModel, s: NetworkSpec, batch: number): void {
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    const x = tf.randomUniform([batch, ...s.inputShape], 0, 1, 'float32', 7);
    const y = model.predict(x);
    assert.ok(y instanceof tf.Tensor);
    assert.deepEqual(y.shape, [batch, s.numClasses]);
    assert.ok(y.dataSync().every((v) => Number.isFinite(v)), 'finite logits');
  });
  assert.equal(tf.memory().numTensors, before);
}

/** A cheap fingerprint of a weight's initial values. */
function fingerprint(w: tf.Tensor): string {
  const values = w.dataSync();
  return Array.from(values.subarray(0, 32)).join(',');
}

/** No two random-initialized kernels of the same shape in one model start out equal. */
function checkDistinctKernels(model: tf.LayersModel): number {
  const seen = new Map<string, string>();
  let compared = 0;
  for (const w of model.trainableWeights) {
    if (!w.originalName.endsWith('/kernel')) continue;
    const key = `${w.shape.join('x')}:${fingerprint(w.read())}`;
    const other = seen.get(key);
    assert.equal(other, undefined, `${w.originalName} starts equal to ${other ?? ''}`);
    seen.set(key, w.originalName);
    compared++;
  }
  return compared;
}

function weightsByName(model: tf.LayersModel): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const w of model.weights) out.set(w.originalName, w.read().dataSync() as Float32Array);
  return out;
}

/** Same seed: identical weights under identical names; different seed: every random kernel differs. */
async function checkSeeding(build: NetworkBuilder, s: NetworkSpec): Promise<void> {
  await withModel(build, s, async (a) => {
    const wa = weightsByName(a);
    await withModel(build, s, (b) => {
      const wb = weightsByName(b);
      assert.deepEqual([...wb.keys()], [...wa.keys()], 'same weight names');
      for (const [name, values] of wa) assert.deepEqual(wb.get(name), values, `${name} equal under the same seed`);
    });
    await withModel(build, { ...s, seed: s.seed + 1 }, (c) => {
      const wc = weightsByName(c);
      assert.deepEqual([...wc.keys()], [...wa.keys()], 'same weight names');
      for (const [name, values] of wa) {
        if (name.endsWith('/kernel')) assert.notDeepEqual(wc.get(name), values, `${name} differs with another seed`);
      }
    });
  });
}

test('ResNet50 (CIFAR stem): 23,705,252 parameters at 100 classes, 23,520,842 at 10', async () => {
  // torchvision resnet50: 25,557,032 with 1000 classes. CIFAR stem: 3x3x3x64 = 1,728 instead of
  // 7x7x3x64 = 9,408 (-7,680). fc: 2048*100+100 = 204,900 instead of 2048*1000+1000 = 2,049,000 (-1,844,100).
  const torchvision = 25_557_032;
  const stem = 7 * 7 * 3 * 64 - 3 * 3 * 3 * 64;
  const fc = (classes: number): number => 2048 * classes + classes;
  assert.equal(torchvision - stem - fc(1000) + fc(100), 23_705_252);
  assert.equal(torchvision - stem - fc(1000) + fc(10), 23_520_842);
  const s = spec(CIFAR, 100);
  await withModel(buildResnet50, s, (model) => {
    const c = counts(model);
    console.log(`ResNet50 CIFAR, 100 classes: ${c.pytorch} parameters (tfjs countParams ${c.tfjs})`);
    assert.equal(c.pytorch, 23_705_252);
    // 53 batch norms; their running statistics add 2 * 26,560 = 53,120 in tfjs's count.
    assert.equal(c.tfjs, 23_705_252 + 53_120);
    checkOutputShape(model, s, 2);
  });
  await withModel(buildResnet50, spec(CIFAR, 10), (model) => {
    const c = counts(model);
    console.log(`ResNet50 CIFAR, 10 classes: ${c.pytorch} parameters (tfjs countParams ${c.tfjs})`);
    assert.equal(c.pytorch, 23_520_842);
    assert.equal(checkDistinctKernels(model), 53 + 1); // 53 conv kernels + fc
  });
});

test('ResNet18 (CIFAR stem): 11,173,962 parameters at 10 classes, 11,220,132 at 100', async () => {
  // torchvision resnet18: 11,689,512 with 1000 classes; stem -7,680; fc 512*k+k instead of 513,000.
  const torchvision = 11_689_512;
  const stem = 7 * 7 * 3 * 64 - 3 * 3 * 3 * 64;
  const fc = (classes: number): number => 512 * classes + classes;
  assert.equal(torchvision - stem - fc(1000) + fc(10), 11_173_962);
  assert.equal(torchvision - stem - fc(1000) + fc(100), 11_220_132);
  for (const [classes, expected] of [
    [10, 11_173_962],
    [100, 11_220_132],
  ] as const) {
    const s = spec(CIFAR, classes);
    await withModel(buildResnet18, s, (model) => {
      const c = counts(model);
      console.log(`ResNet18 CIFAR, ${classes} classes: ${c.pytorch} parameters (tfjs countParams ${c.tfjs})`);
      assert.equal(c.pytorch, expected);
      // 20 batch norms with 4,800 channels in all: 9,600 running statistics.
      assert.equal(c.tfjs, expected + 9_600);
      checkOutputShape(model, s, 2);
    });
  }
});

test('small Inception: within 1% of the 1,649,402 parameters of Zhang et al. on 32x32x3, 10 classes', async () => {
  const s = spec(CIFAR, 10);
  await withModel(buildInceptionSmall, s, (model) => {
    const c = counts(model);
    const published = 1_649_402;
    console.log(
      `small Inception 32x32x3, 10 classes: ${c.pytorch} parameters (tfjs countParams ${c.tfjs}), ` +
        `${(((c.pytorch - published) / published) * 100).toFixed(3)}% from the published ${published}`,
    );
    assert.ok(Math.abs(c.pytorch - published) / published < 0.01);
    // Exactly: the published count minus one BN parameter per channel (1,712 channels) is what we add.
    assert.equal(c.pytorch, 1_651_114);
    assert.equal(c.pytorch - 1_712, published);
    checkOutputShape(model, s, 2);
  });
});

test('small Inception on MNIST (28x28x1, 10 classes): 1,649,386 parameters', async () => {
  // 1,728 fewer than on CIFAR: the stem conv sees 1 input channel instead of 3 (3x3x2x96 weights).
  const s = spec(MNIST, 10);
  await withModel(buildInceptionSmall, s, (model) => {
    const c = counts(model);
    console.log(`small Inception 28x28x1, 10 classes: ${c.pytorch} parameters (tfjs countParams ${c.tfjs})`);
    assert.equal(c.pytorch, 1_651_114 - 3 * 3 * 2 * 96);
    assert.equal(c.pytorch, 1_649_386);
    checkOutputShape(model, s, 3);
  });
});

test('small Inception builds on larger inputs too (40x36x3)', async () => {
  const s = spec([40, 36, 3], 7);
  await withModel(buildInceptionSmall, s, (model) => checkOutputShape(model, s, 1));
});

test('ResNet18 seeding: same seed same weights, other seed other weights, distinct same-shape kernels', async () => {
  const s = spec(CIFAR, 10, 42);
  await checkSeeding(buildResnet18, s);
  await withModel(buildResnet18, s, (model) => {
    // 21 conv kernels (many 3x3x64x64, 3x3x128x128, ...) and the fc kernel.
    assert.equal(checkDistinctKernels(model), 21);
    const names = model.layers.map((l) => l.name);
    for (const name of ['conv1', 'bn1', 'layer1.0.conv1', 'layer2.0.conv1', 'layer2.0.downsample.0', 'fc']) {
      assert.ok(names.includes(name), `layer ${name}`);
    }
    const a = model.getLayer('layer1.0.conv1').getWeights()[0];
    const b = model.getLayer('layer1.0.conv2').getWeights()[0];
    assert.ok(a !== undefined && b !== undefined);
    assert.deepEqual(a.shape, b.shape);
    assert.notDeepEqual(a.dataSync(), b.dataSync());
  });
});

test('ResNet50 seeding: same seed same weights, other seed other weights', async () => {
  await checkSeeding(buildResnet50, spec(CIFAR, 10, 3));
});

test('small Inception seeding and distinct kernels', async () => {
  const s = spec(MNIST, 10, 5);
  await checkSeeding(buildInceptionSmall, s);
  await withModel(buildInceptionSmall, s, (model) => {
    // stem + 8 Inception modules x 2 + 2 Downsample convs = 19 conv kernels, plus fc.
    assert.equal(checkDistinctKernels(model), 20);
  });
});

test('weight decay puts a regularizer on every conv and dense kernel, and none when it is 0', async () => {
  const kernelLayers = (model: tf.LayersModel): tf.layers.Layer[] =>
    model.layers.filter((l) => ['Conv2D', 'Dense'].includes(l.getClassName()));
  const regularized = (model: tf.LayersModel): number =>
    kernelLayers(model).filter((l) => l.getConfig()['kernelRegularizer'] != null).length;
  for (const build of [buildResnet18, buildInceptionSmall]) {
    await withModel(build, spec(CIFAR, 10), (model) => {
      assert.ok(kernelLayers(model).length > 0);
      assert.equal(regularized(model), kernelLayers(model).length);
    });
    const s: NetworkSpec = { ...spec(MNIST, 10), weightDecay: 0 };
    await withModel(build, s, (model) => {
      assert.equal(regularized(model), 0);
      checkOutputShape(model, s, 1);
    });
  }
});
