// The data sets `--dataset` can name, and loading one as the config says.
import type { Config } from '../config/schema.js';
import { UsageError } from '../errors.js';
import { cifarRequiredFiles, readCifar, type CifarVariant } from './cifar.js';
import { idxRequiredFiles, readIdxDataset, type IdxName } from './idx.js';
import { limitDataset } from './limit.js';
import { dataDirectoryCandidates, findDataDirectory } from './locate.js';
import { generateSyntheticLongtail } from './synthetic-longtail.js';
import type { Dataset } from './types.js';

export interface DataOptions {
  dataDir?: string; // directory holding the data set's files (else MEMORIZE_DATA, then system paths)
}

interface DatasetEntry {
  description: string;
  load: (config: Config, options: DataOptions) => Promise<Dataset>;
}

/** The first candidate directory holding the files; else the first candidate, whose reader names what is missing. */
async function locate(name: string, options: DataOptions, files: string[][]): Promise<string> {
  const candidates = dataDirectoryCandidates(name, options.dataDir);
  return (await findDataDirectory(candidates, files)) ?? candidates[0] ?? process.cwd();
}

const cifar = (variant: CifarVariant, description: string): DatasetEntry => ({
  description,
  load: async (_config, options) => readCifar(await locate(variant, options, cifarRequiredFiles(variant)), variant),
});

const idx = (name: IdxName, description: string): DatasetEntry => ({
  description,
  load: async (_config, options) => readIdxDataset(await locate(name, options, idxRequiredFiles()), name),
});

export const DATASETS: Record<string, DatasetEntry> = {
  'synthetic-longtail': {
    description: 'embedded long-tail mixture with known subpopulations (no download)',
    load: (config) => Promise.resolve(generateSyntheticLongtail(config.synthetic)),
  },
  cifar10: cifar('cifar10', 'CIFAR-10, binary version (50,000 / 10,000 32x32x3)'),
  cifar100: cifar('cifar100', 'CIFAR-100, binary version, fine labels (50,000 / 10,000 32x32x3)'),
  mnist: idx('mnist', 'MNIST, IDX files, gzip or not (60,000 / 10,000 28x28x1)'),
  'fashion-mnist': idx('fashion-mnist', "Fashion-MNIST, IDX files (Debian's dataset-fashion-mnist)"),
};

/** Reads the configured data set, cut down to limitTrain / limitTest examples when they are set. */
export async function loadDataset(config: Config, options: DataOptions): Promise<Dataset> {
  const entry = Object.hasOwn(DATASETS, config.dataset) ? DATASETS[config.dataset] : undefined; // not "constructor" or "__proto__"
  if (!entry) throw new UsageError(`unknown data set "${config.dataset}"; expected one of ${Object.keys(DATASETS).join(', ')}`);
  return limitDataset(await entry.load(config, options), { train: config.limitTrain, test: config.limitTest });
}
