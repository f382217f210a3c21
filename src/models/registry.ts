// The models `--model` can name: networks (pure builders), the linear probe on a network's
// representations (the paper's section 3), and the 1-nearest-neighbour baseline.
import type * as tf from '@tensorflow/tfjs';
import type { Config } from '../config/schema.js';
import { UsageError } from '../errors.js';
import { MODEL_DESCRIPTIONS } from './catalog.js';
import { buildCnn } from './cnn.js';
import { buildInceptionSmall } from './inception-small.js';
import { buildMlp } from './mlp.js';
import { buildResnet18, buildResnet50 } from './resnet.js';
import type { NetworkSpec } from './types.js';

/** How many trials of a model train together: `stackable` ones can (--ensemble K; src/train/stacked-networks.ts
 * says which layers stack), and `auto` is what --ensemble auto picks, the best measured in scripts/BENCHMARKS.md
 * (the mlp and the linear probe: 1.6x and 2x trials/hour at 16 on the wasm backend; the cnn: no gain, so 1). */
interface Ensemble {
  stackable: boolean;
  auto: number;
}
const ALONE: Ensemble = { stackable: false, auto: 1 };
const STACKED: Ensemble = { stackable: true, auto: 16 };

export type NetworkEntry = { kind: 'network'; description: string; ensemble: Ensemble; build: (spec: NetworkSpec, config: Config) => tf.LayersModel };
export type ModelEntry = NetworkEntry | { kind: 'linear-probe'; description: string; ensemble: Ensemble } | { kind: 'nearest-neighbour'; description: string; ensemble: Ensemble };

export const MODELS: Record<string, ModelEntry> = {
  mlp: { kind: 'network', description: MODEL_DESCRIPTIONS.mlp, ensemble: STACKED, build: (spec, c) => buildMlp(spec, c.hiddenUnits) },
  cnn: { kind: 'network', description: MODEL_DESCRIPTIONS.cnn, ensemble: { stackable: true, auto: 1 }, build: (spec, c) => buildCnn(spec, c.hiddenUnits) },
  resnet18: { kind: 'network', description: MODEL_DESCRIPTIONS.resnet18, ensemble: ALONE, build: (spec) => buildResnet18(spec) },
  resnet50: { kind: 'network', description: MODEL_DESCRIPTIONS.resnet50, ensemble: ALONE, build: (spec) => buildResnet50(spec) },
  'inception-small': { kind: 'network', description: MODEL_DESCRIPTIONS['inception-small'], ensemble: ALONE, build: (spec) => buildInceptionSmall(spec) },
  'linear-probe': { kind: 'linear-probe', description: MODEL_DESCRIPTIONS['linear-probe'], ensemble: STACKED },
  knn: { kind: 'nearest-neighbour', description: MODEL_DESCRIPTIONS.knn, ensemble: ALONE },
};

/** The registry entry of `name`, or a UsageError listing the known models. */
export function modelEntry(name: string): ModelEntry {
  const entry = Object.hasOwn(MODELS, name) ? MODELS[name] : undefined; // not "constructor" or "__proto__"
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

const stackableNames = (): string => Object.keys(MODELS).filter((k) => MODELS[k]?.ensemble.stackable).join(', ');

/** Refuses, before any work, a model setting that cannot run: an unknown model or probe network, margins
 * asked of a model without logits, or an ensemble of a model that does not stack. */
export function checkModelSettings(config: Config): ModelEntry {
  const entry = modelEntry(config.model);
  if (entry.kind === 'linear-probe') networkEntry(config.probeNetwork, 'probeNetwork (--probe-network)');
  if (config.recordMargins && entry.kind === 'nearest-neighbour') {
    throw new UsageError(`--record margins needs a model with logits, and ${config.model} has none; drop --record (recordMargins) or pick one of ${networkNames()}, linear-probe`);
  }
  if (config.trainer !== null && typeof config.ensemble === 'number' && config.ensemble > 1) {
    throw new UsageError(`--ensemble ${config.ensemble} cannot be used with --trainer: the trainer runs once per trial; use --ensemble 1 or auto`);
  }
  if (typeof config.ensemble === 'number' && config.ensemble > 1 && !entry.ensemble.stackable) {
    throw new UsageError(`--ensemble ${config.ensemble} needs a model that stacks (${stackableNames()}), and ${config.model} does not; use --ensemble 1 or auto (ensemble)`);
  }
  return entry;
}

/** How many trials train together: config.ensemble, or for auto the model's measured best (an external trainer: 1). */
export function ensembleSize(config: Config): number {
  if (config.trainer !== null) return 1;
  return config.ensemble === 'auto' ? modelEntry(config.model).ensemble.auto : config.ensemble;
}
