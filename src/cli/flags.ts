// Turns command-line flags into validated config overrides and run options. Values arrive as
// strings; numbers are converted only when they look like numbers, so "--trials abc" is reported
// as what it is.
import { readConfigFile } from '../config/load.js';
import { resolveConfig, validateOverrides, type Config, type ConfigOverrides } from '../config/schema.js';
import { UsageError } from '../errors.js';
import type { Shard } from '../commands/train.js';

/** Flags that map onto config settings: flag name (commander's camelCase) -> whether it is numeric. */
export const CONFIG_FLAGS = {
  dataset: false,
  model: false,
  trials: true,
  subsetRatio: true,
  seed: true,
  epochs: true,
  batchSize: true,
  learningRate: true,
  augment: false,
  probeNetwork: false,
  probeEpochs: true,
  limitTrain: true,
  limitTest: true,
  backend: false,
  workers: true,
  ensemble: true,
  trainer: false,
  trainerTimeout: true,
} as const satisfies Partial<Record<keyof Config, boolean>>;

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const kebab = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

export function parseNumber(flag: string, value: string): number {
  if (!NUMBER.test(value)) throw new UsageError(`${flag} must be a number, got ${JSON.stringify(value)}`);
  return Number(value);
}

/** Config overrides given as flags, validated. */
export function flagOverrides(flags: Record<string, unknown>): ConfigOverrides {
  const overrides: Record<string, unknown> = {};
  for (const [key, numeric] of Object.entries(CONFIG_FLAGS)) {
    const value = flags[key];
    if (typeof value !== 'string') continue;
    overrides[key] = numeric && NUMBER.test(value) ? Number(value) : value;
  }
  const record = flags['record'];
  if (record !== undefined) {
    // --record names what to store beyond correctness; margins is the one thing there is.
    if (record !== 'margins') throw new UsageError(`--record must be margins, got ${JSON.stringify(record)}`);
    overrides['recordMargins'] = true;
  }
  return validateOverrides(overrides, 'invalid option', kebab);
}

/** Built-in defaults < config file (--config) < flags. */
export async function configFromFlags(flags: Record<string, unknown>): Promise<Config> {
  const file = typeof flags['config'] === 'string' ? await readConfigFile(flags['config']) : {};
  return resolveConfig(file, flagOverrides(flags));
}

/** --shard i/N, else a Slurm job array's task (SLURM_ARRAY_TASK_ID among SLURM_ARRAY_TASK_COUNT), else all trials. */
export function shardFromFlags(value: unknown, env: NodeJS.ProcessEnv): Shard {
  if (typeof value === 'string') {
    const match = /^(\d+)\/(\d+)$/.exec(value);
    const index = Number(match?.[1]);
    const count = Number(match?.[2]);
    if (!match || count < 1 || index >= count) throw new UsageError(`--shard must be i/N with 0 <= i < N, got ${JSON.stringify(value)}`);
    return { index, count };
  }
  const id = env['SLURM_ARRAY_TASK_ID'];
  const count = env['SLURM_ARRAY_TASK_COUNT'];
  if (id !== undefined && count !== undefined) return { index: Number(id) - Number(env['SLURM_ARRAY_TASK_MIN'] ?? 0), count: Number(count) };
  return { index: 0, count: 1 };
}
