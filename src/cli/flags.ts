// Turns command-line flags into validated config overrides and run options. Values arrive as
// strings; numbers are converted only when they look like numbers, so "--trials abc" is reported
// as what it is.
import { readConfigFile } from '../config/load.js';
import { resolveConfig, validateOverrides, type Config, type ConfigOverrides } from '../config/schema.js';
import { UsageError } from '../errors.js';
import type { Shard } from '../commands/train.js';
import { readIndexFile } from '../store/index-file.js';

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

/** Built-in defaults < config file (--config) < flags. --exclude <file> lists training indices to remove. */
export async function configFromFlags(flags: Record<string, unknown>): Promise<Config> {
  const file = typeof flags['config'] === 'string' ? await readConfigFile(flags['config']) : {};
  const exclude = typeof flags['exclude'] === 'string' ? { exclude: await readIndexFile(flags['exclude'], '--exclude') } : {};
  return resolveConfig(file, flagOverrides(flags), exclude);
}

/** --shard i/N (integers, 0 <= i < N), else all trials. A Slurm job array does not shard by itself: its tasks
 * claim trials (train/claims.ts), and an array may as well be a sweep of separate runs. */
export function shardFromFlags(value: unknown): Shard {
  if (typeof value !== 'string') return { index: 0, count: 1 };
  const match = /^(\d+)\/(\d+)$/.exec(value.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || !Number.isSafeInteger(count) || count < 1 || index >= count) throw new UsageError(`--shard must be i/N with 0 <= i < N, got ${JSON.stringify(value)}`);
  return { index, count };
}

/** A list of thresholds: comma-separated values, or FROM:TO:STEP (both ends included), e.g. 0.05:0.95:0.1. */
export function parseThresholds(flag: string, value: string): number[] {
  const range = /^([^:]+):([^:]+):([^:]+)$/.exec(value);
  if (!range) return value.split(',').map((part) => parseNumber(flag, part.trim()));
  const [from, to, step] = [range[1]!, range[2]!, range[3]!].map((part) => parseNumber(flag, part));
  if (!(step! > 0) || to! < from!) throw new UsageError(`${flag} FROM:TO:STEP needs FROM <= TO and STEP > 0, got ${JSON.stringify(value)}`);
  const count = Math.floor((to! - from!) / step! + 1e-9) + 1;
  return Array.from({ length: count }, (_, k) => Math.round((from! + k * step!) * 1e6) / 1e6);
}

/** A flag that must be an integer >= min. */
export function parseInteger(flag: string, value: string, min: number): number {
  const number = parseNumber(flag, value);
  if (!Number.isSafeInteger(number) || number < min) throw new UsageError(`${flag} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  return number;
}
