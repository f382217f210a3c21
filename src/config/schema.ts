// The one typed run configuration: built-in defaults, validation of partial overrides (config files,
// flags) with expected-vs-got messages, and the hash of the fields that determine trial results.
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { UsageError } from '../errors.js';

export const BACKEND_NAMES = ['auto', 'tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export const AUGMENTATIONS = ['none', 'crop-flip'] as const;
export type Augmentation = (typeof AUGMENTATIONS)[number];
export const SCHEDULES = ['warmup-linear', 'warmup-step'] as const;
export type Schedule = (typeof SCHEDULES)[number];

/** Parameters of the embedded `synthetic-longtail` data set (the paper's long-tail model). */
export interface SyntheticConfig {
  seed: number; // generator seed: the data set is a pure function of these parameters
  classes: number; // number of classes
  subpopulationsPerClass: number; // mixture components per class
  zipfExponent: number; // subpopulation frequency within a class is proportional to rank^-exponent
  trainSize: number; // n, training examples
  testSize: number; // n', test examples, drawn from the same mixture
  imageSize: number; // images are imageSize x imageSize x 1
  classSignal: number; // weight of the pattern shared by a class (prototype = class part + own part)
  noise: number; // per-example noise, relative to the prototype's scale
  labelNoise: number; // fraction of training labels replaced by a different random class
}

export interface Config {
  dataset: string; // data set name, see `memorize train --help`
  model: string; // model name
  trials: number; // t, number of trials (random subsets) in the run
  subsetRatio: number; // m / n, fraction of the training set in each subset; 1 = every trial on the whole (remaining) set
  exclude: number[]; // training indices removed from S before any subset is drawn (ascending; `train --exclude`)
  seed: number; // run seed: trial k's subset and initialisation depend only on (seed, k)
  epochs: number; // passes over the subset per trial
  batchSize: number; // examples per SGD step
  learningRate: number; // peak learning rate of the schedule
  momentum: number; // SGD momentum
  schedule: Schedule; // warmup-linear: warm-up, then linear decay to 0 (CIFAR, MNIST); warmup-step: warm-up, then 10x decays at decayEpochs (ImageNet)
  warmupFraction: number; // fraction of all steps over which lr rises linearly from 0 to its peak
  decayEpochs: number[]; // warmup-step only: lr is divided by 10 after each of these many epochs (ascending; ImageNet 30, 60, 90)
  weightDecay: number; // SGD weight decay (an l2 penalty of weightDecay / 2 on conv and dense kernels)
  hiddenUnits: number; // width of the mlp's hidden layers and the cnn's dense layer
  augment: Augmentation; // per-example augmentation during training: crop-flip = random crop of the zero-padded image + left-right flip
  cropPadding: number; // crop-flip only: zero padding on each side before the random crop, in pixels
  probeNetwork: string; // linear-probe only: the network trained once on the full training set for representations
  probeEpochs: number; // linear-probe only: training epochs of that network (epochs is the linear model's)
  limitTrain: number | null; // use a stratified subset of this many training examples; null = all
  limitTest: number | null; // same for the test set
  recordMargins: boolean; // also store each example's correct-class logit minus the best other logit
  backend: BackendName; // TensorFlow.js backend; auto picks the fastest available
  workers: number | 'auto'; // trial-running processes on this machine; auto = one per GPU on a GPU backend, else per usable CPU (train/resources.ts)
  ensemble: number | 'auto'; // trials trained together as one stacked computation in a process (mlp, cnn, linear-probe); 1 = one at a time; auto = the model's measured best (models/registry.ts)
  trainer: string | null; // shell command of an external trainer run once per trial instead of a built-in model (README, "Any trainer"); null = built-in
  trainerVersion: string | null; // what the trainer answered when asked its version (set by `memorize train`, hashed); null = none
  trainerTimeout: number | null; // seconds one trainer invocation may run before it is stopped and its trial fails; null = no limit
  synthetic: SyntheticConfig;
}

export const DEFAULT_CONFIG: Config = {
  dataset: 'synthetic-longtail',
  model: 'mlp',
  trials: 400,
  subsetRatio: 0.7,
  exclude: [],
  seed: 1,
  epochs: 12,
  batchSize: 64,
  learningRate: 0.05,
  momentum: 0.9,
  schedule: 'warmup-linear',
  warmupFraction: 0.15,
  decayEpochs: [],
  weightDecay: 0,
  hiddenUnits: 128,
  augment: 'none',
  cropPadding: 4,
  probeNetwork: 'resnet50',
  probeEpochs: 160,
  limitTrain: null,
  limitTest: null,
  recordMargins: false,
  backend: 'auto',
  workers: 'auto',
  ensemble: 'auto',
  trainer: null,
  trainerVersion: null,
  trainerTimeout: null,
  synthetic: {
    seed: 2020,
    classes: 10,
    subpopulationsPerClass: 60,
    zipfExponent: 1.2,
    trainSize: 2000,
    testSize: 1000,
    imageSize: 16,
    classSignal: 0.1,
    noise: 0.5,
    labelNoise: 0,
  },
};

/** Fields that do not change what a trial computes; left out of the config hash so a run can be
 * extended, resharded, regrouped or moved to another backend or machine. */
const RESULT_NEUTRAL_FIELDS: readonly (keyof Config)[] = ['trials', 'backend', 'workers', 'ensemble', 'recordMargins', 'trainerTimeout'];

/** Settings that matter only in some configurations; elsewhere they are left out of the hash, so
 * changing an unused one does not split a run. Those added after the first runs (schedule, limits)
 * are hashed only when set, so runs made before them keep their hash and resume. */
const APPLIES: Partial<Record<keyof Config, (config: Config) => boolean>> = {
  synthetic: (c) => c.dataset === 'synthetic-longtail',
  probeNetwork: (c) => c.model === 'linear-probe',
  probeEpochs: (c) => c.model === 'linear-probe',
  decayEpochs: (c) => c.schedule === 'warmup-step',
  cropPadding: (c) => c.augment === 'crop-flip',
  schedule: (c) => c.schedule !== 'warmup-linear',
  limitTrain: (c) => c.limitTrain !== null,
  limitTest: (c) => c.limitTest !== null,
  trainer: (c) => c.trainer !== null,
  trainerVersion: (c) => c.trainerVersion !== null,
  exclude: (c) => c.exclude.length > 0,
};

/** At most this many worker processes: more than 4 per core only multiplies memory (see the message above). */
export const MAX_WORKERS = 4 * availableParallelism();

export type ConfigOverrides = Partial<Omit<Config, 'synthetic'>> & { synthetic?: Partial<SyntheticConfig> };

type FieldRule = (value: unknown) => string | undefined; // returns what was expected, or undefined if valid

const integerFrom = (min: number): FieldRule => (v) =>
  Number.isSafeInteger(v) && (v as number) >= min ? undefined : `an integer >= ${min}`;
const numberIn = (min: number, max: number, openMin = false, openMax = false): FieldRule => (v) => {
  const ok = typeof v === 'number' && Number.isFinite(v) && (openMin ? v > min : v >= min) && (openMax ? v < max : v <= max);
  return ok ? undefined : `a number in ${openMin ? '(' : '['}${min}, ${max}${openMax ? ')' : ']'}`;
};
const oneOf = (values: readonly string[]): FieldRule => (v) =>
  typeof v === 'string' && values.includes(v) ? undefined : `one of ${values.join(', ')}`;
const nonEmptyString: FieldRule = (v) => (typeof v === 'string' && v.length > 0 ? undefined : 'a non-empty string');
const nullOr = (rule: FieldRule): FieldRule => (v) => (v === null ? undefined : rule(v) && `null or ${rule(v)}`);
const boolean: FieldRule = (v) => (typeof v === 'boolean' ? undefined : 'true or false');
const ascendingEpochs: FieldRule = (v) =>
  Array.isArray(v) && v.every((e, i) => Number.isSafeInteger(e) && (e as number) >= 1 && (i === 0 || (e as number) > (v[i - 1] as number)))
    ? undefined
    : 'an ascending list of integers >= 1 (epochs)';

const RULES: Record<Exclude<keyof Config, 'synthetic'>, FieldRule> = {
  dataset: nonEmptyString,
  model: nonEmptyString,
  trials: integerFrom(1),
  subsetRatio: numberIn(0, 1, true),
  exclude: (v) => (Array.isArray(v) && v.every((e, i) => Number.isSafeInteger(e) && (e as number) >= 0 && (i === 0 || (e as number) > (v[i - 1] as number))) ? undefined : 'an ascending list of distinct training indices (integers >= 0)'),
  seed: (v) => (Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) < 2 ** 32 ? undefined : 'an integer in [0, 2^32)'),
  epochs: integerFrom(1),
  batchSize: integerFrom(1),
  learningRate: numberIn(0, 100, true),
  momentum: numberIn(0, 1, false, true),
  schedule: oneOf(SCHEDULES),
  warmupFraction: numberIn(0, 1),
  decayEpochs: ascendingEpochs,
  weightDecay: numberIn(0, 1),
  hiddenUnits: integerFrom(1),
  augment: oneOf(AUGMENTATIONS),
  cropPadding: integerFrom(1),
  probeNetwork: nonEmptyString,
  probeEpochs: integerFrom(1),
  limitTrain: nullOr(integerFrom(2)),
  limitTest: nullOr(integerFrom(1)),
  recordMargins: boolean,
  backend: oneOf(BACKEND_NAMES),
  workers: (v) => (v === 'auto' || (Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= MAX_WORKERS) ? undefined : `auto or an integer in [1, ${MAX_WORKERS}] (4 x the ${availableParallelism()} cores here: each worker is a process that trains on one core and holds its own copy of the data and model, about 200 MB)`),
  ensemble: (v) => (v === 'auto' || integerFrom(1)(v) === undefined ? undefined : 'auto or an integer >= 1'),
  trainer: nullOr(nonEmptyString),
  trainerVersion: nullOr(nonEmptyString),
  trainerTimeout: nullOr(numberIn(0, 1e9, true)),
};

const SYNTHETIC_RULES: Record<keyof SyntheticConfig, FieldRule> = {
  seed: integerFrom(0),
  classes: integerFrom(2),
  subpopulationsPerClass: integerFrom(1),
  zipfExponent: numberIn(0, 10),
  trainSize: integerFrom(2),
  testSize: integerFrom(1),
  imageSize: integerFrom(2),
  classSignal: numberIn(0, 100),
  noise: numberIn(0, 100),
  labelNoise: numberIn(0, 1),
};

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value); // Infinity and NaN too, which JSON writes as null
  return typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value) ?? value);
}

/** Names a setting in messages: `"trials"` in a config file, `--trials` on the command line. */
export type SettingLabel = (key: string) => string;
const quoted: SettingLabel = (key) => `"${key}"`;

function checkFields(object: Record<string, unknown>, rules: Record<string, FieldRule>, where: string, label: SettingLabel, prefix: string): void {
  for (const [key, value] of Object.entries(object)) {
    const rule = Object.hasOwn(rules, key) ? rules[key] : undefined; // own keys only: not "constructor" or "__proto__"
    if (!rule) {
      throw new UsageError(`${where}: unknown setting ${label(prefix + key)}; expected one of ${Object.keys(rules).map((k) => label(prefix + k)).join(', ')}`);
    }
    const expected = rule(value);
    if (expected) throw new UsageError(`${where}: ${label(prefix + key)} must be ${expected}, got ${describe(value)}`);
  }
}

/** Validates a partial config (from a file or flags); `where` names its source in error messages.
 * A top-level "comment" string is allowed and dropped (config files say where their numbers come from):
 * it is in neither the resolved config nor its hash. */
export function validateOverrides(raw: unknown, where: string, label: SettingLabel = quoted): ConfigOverrides {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new UsageError(`${where}: expected a JSON object of settings, got ${describe(raw)}`);
  }
  const { comment, synthetic, ...fields } = raw as Record<string, unknown>;
  if (comment !== undefined && typeof comment !== 'string') {
    throw new UsageError(`${where}: "comment" must be a string, got ${describe(comment)}`);
  }
  checkFields(fields, RULES, where, label, '');
  if (synthetic !== undefined) {
    if (typeof synthetic !== 'object' || synthetic === null || Array.isArray(synthetic)) {
      throw new UsageError(`${where}: "synthetic" must be an object, got ${describe(synthetic)}`);
    }
    checkFields(synthetic as Record<string, unknown>, SYNTHETIC_RULES, where, label, 'synthetic.');
  }
  return synthetic === undefined ? fields : { ...fields, synthetic };
}

/** Applies override layers in order (later wins) on top of the built-in defaults. */
export function resolveConfig(...layers: ConfigOverrides[]): Config {
  let config: Config = structuredClone(DEFAULT_CONFIG);
  for (const layer of layers) {
    const { synthetic, ...fields } = layer;
    const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
    config = { ...config, ...defined, synthetic: { ...config.synthetic, ...synthetic } };
  }
  return config;
}

/** The part of the config that determines trial results (what the hash covers). A "comment" that
 * run.json files of older versions kept in their config is not part of it. */
export function resultConfig(config: Config): Record<string, unknown> {
  const entries = Object.entries(config).filter(([key]) => {
    if (key === 'comment') return false;
    const field = key as keyof Config;
    return !RESULT_NEUTRAL_FIELDS.includes(field) && (APPLIES[field]?.(config) ?? true);
  });
  return Object.fromEntries(entries);
}

/** sha256 of the canonical JSON (sorted keys) of the result-determining config. */
export function hashConfig(config: Config): string {
  return createHash('sha256').update(canonicalJson(resultConfig(config))).digest('hex');
}

/** Every hash a version of memorize wrote for this config: today's, and, for a config that kept its
 * "comment" (versions before the comment left the hash), that hash. A run.json whose configHash is none
 * of these was edited. */
export function knownConfigHashes(config: Config): string[] {
  const hashes = [hashConfig(config)];
  const { comment } = config as Config & { comment?: unknown };
  if (comment !== undefined) hashes.push(createHash('sha256').update(canonicalJson({ ...resultConfig(config), comment })).digest('hex'));
  return hashes;
}

/** JSON with object keys sorted at every level, so equal configs hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Subset size m = round(subsetRatio * n), kept within [1, n - 1] so both conditions can occur; n itself for
 * subsetRatio 1 (the full-set mode of reference runs, which estimate nothing). */
export function subsetSize(n: number, subsetRatio: number): number {
  if (subsetRatio === 1) return n;
  return Math.min(n - 1, Math.max(1, Math.round(subsetRatio * n)));
}
