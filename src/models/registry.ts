// The models `--model` can name: networks (pure builders) and the 1-nearest-neighbour baseline.
import type * as tf from '@tensorflow/tfjs';
import type { Config } from '../config/schema.js';
import { UsageError } from '../errors.js';
import { buildCnn } from './cnn.js';
import { buildMlp } from './mlp.js';
import type { NetworkSpec } from './types.js';

export type ModelEntry =
  | { kind: 'network'; description: string; build: (spec: NetworkSpec, config: Config) => tf.LayersModel }
  | { kind: 'nearest-neighbour'; description: string };

export const MODELS: Record<string, ModelEntry> = {
  mlp: { kind: 'network', description: 'two hidden relu layers of hiddenUnits on raw pixels', build: (spec, c) => buildMlp(spec, c.hiddenUnits) },
  cnn: { kind: 'network', description: 'small conv net: 2 x (conv3x3 + max-pool), dense hiddenUnits', build: (spec, c) => buildCnn(spec, c.hiddenUnits) },
  knn: { kind: 'nearest-neighbour', description: '1-nearest-neighbour on raw pixels (Euclidean, ties to the lower index)' },
};

/** The registry entry of `name`, or a UsageError listing the known models. */
export function modelEntry(name: string): ModelEntry {
  const entry = MODELS[name];
  if (!entry) throw new UsageError(`unknown model "${name}"; expected one of ${Object.keys(MODELS).join(', ')}`);
  return entry;
}
