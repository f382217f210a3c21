// The models `--model` can name: networks (pure builders), the linear probe on a network's
// representations (the paper's section 3), and the 1-nearest-neighbour baseline.
import type * as tf from '@tensorflow/tfjs';
import type { Config } from '../config/schema.js';
import { UsageError } from '../errors.js';
import { buildCnn } from './cnn.js';
import { buildInceptionSmall } from './inception-small.js';
import { buildMlp } from './mlp.js';
import { buildResnet18, buildResnet50 } from './resnet.js';
import type { NetworkSpec } from './types.js';

/** stackable: K of them train as one computation (--ensemble; src/train/stacked-networks.ts says which layers stack). */
export type NetworkEntry = { kind: 'network'; description: string; stackable: boolean; build: (spec: NetworkSpec, config: Config) => tf.LayersModel };
export type ModelEntry = NetworkEntry | { kind: 'linear-probe'; description: string; stackable: true } | { kind: 'nearest-neighbour'; description: string; stackable: false };

export const MODELS: Record<string, ModelEntry> = {
  mlp: { kind: 'network', description: 'two hidden relu layers of hiddenUnits on raw pixels', stackable: true, build: (spec, c) => buildMlp(spec, c.hiddenUnits) },
  cnn: { kind: 'network', description: 'small conv net: 2 x (conv3x3 + max-pool), dense hiddenUnits', stackable: true, build: (spec, c) => buildCnn(spec, c.hiddenUnits) },
  resnet18: { kind: 'network', description: 'ResNet18 with the CIFAR stem (3x3/1 conv, no max-pool)', stackable: false, build: (spec) => buildResnet18(spec) },
  resnet50: { kind: 'network', description: 'ResNet50 with the CIFAR stem, the paper\'s CIFAR-100 network', stackable: false, build: (spec) => buildResnet50(spec) },
  'inception-small': { kind: 'network', description: 'small Inception of Zhang et al. 2017, the paper\'s MNIST network', stackable: false, build: (spec) => buildInceptionSmall(spec) },
  'linear-probe': { kind: 'linear-probe', description: 'linear classifier on the penultimate layer of probeNetwork, trained once on the full training set', stackable: true },
  knn: { kind: 'nearest-neighbour', description: '1-nearest-neighbour on raw pixels (Euclidean, ties to the lower index)', stackable: false },
};

/** The registry entry of `name`, or a UsageError listing the known models. */
export function modelEntry(name: string): ModelEntry {
  const entry = MODELS[name];
  if (!entry) throw new UsageError(`unknown model "${name}"; expected one of ${Object.keys(MODELS).join(', ')}`);
  return entry;
}

const networkNames = (): string => Object.keys(MODELS).filter((k) => MODELS[k]?.kind === 'network').join(', ');

/** The network entry of `name`, or a UsageError (`setting` names where the name came from). */
export function networkEntry(name: string, setting: string): NetworkEntry {
  const entry = modelEntry(name);
  if (entry.kind !== 'network') throw new UsageError(`${setting} must name a network (${networkNames()}), got "${name}"`);
  return entry;
}

const stackableNames = (): string => Object.keys(MODELS).filter((k) => MODELS[k]?.stackable).join(', ');

/** Refuses, before any work, a model setting that cannot run: an unknown model or probe network, margins
 * asked of a model without logits, or an ensemble of a model that does not stack. */
export function checkModelSettings(config: Config): ModelEntry {
  const entry = modelEntry(config.model);
  if (entry.kind === 'linear-probe') networkEntry(config.probeNetwork, 'probeNetwork (--probe-network)');
  if (config.recordMargins && entry.kind === 'nearest-neighbour') {
    throw new UsageError(`--record margins needs a model with logits, and ${config.model} has none; drop --record (recordMargins) or pick one of ${networkNames()}, linear-probe`);
  }
  if (config.ensemble > 1 && !entry.stackable) {
    throw new UsageError(`--ensemble ${config.ensemble} needs a model that stacks (${stackableNames()}), and ${config.model} does not; use --ensemble 1 (ensemble)`);
  }
  return entry;
}
