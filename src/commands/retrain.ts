// Retraining on S minus a set of examples, for `ablate` and `loo`: each setting is a run of its own under
// <source run>/retrain/<config hash>/, trained by `memorize train` in full-set mode (m = n - |removed|), so
// it resumes like train and a setting shared by two analyses (the full set) is trained once.
import { hashConfig, resolveConfig } from '../config/schema.js';
import type { DataOptions } from '../data/registry.js';
import { UsageError } from '../errors.js';
import { RunDirectory, type RunManifest } from '../store/run-dir.js';
import { readColumns } from '../store/tables.js';
import type { BitView } from '../store/trial-file.js';
import { train } from './train.js';

/** The run whose estimates an analysis starts from. */
export interface SourceRun {
  runDir: RunDirectory;
  manifest: RunManifest;
}

export interface RetrainOptions {
  runs: number; // R models per setting
  workers?: number; // default: the source run's
  data?: DataOptions;
  onSetting?: (label: string, progress: { done: number; total: number; ran: number; seconds: number }) => void;
}

/** A setting to train: the training indices it removes from S. */
export interface RetrainSetting {
  label: string; // for progress and the JSON, e.g. "mem >= 0.50"
  exclude: number[]; // ascending
}

/** R models trained on S without a setting's examples, as their correctness masks. */
export interface Retrained {
  runDir: string;
  removed: number;
  testAccuracy: number[]; // [R]
  trainCorrect: BitView[]; // [R] over all n training examples
  testCorrect: BitView[]; // [R]
}

export const bitAt = (view: BitView, i: number): number => (view.bytes[(view.bitOffset + i) >>> 3]! >>> ((view.bitOffset + i) & 7)) & 1;

export async function openSource(dir: string): Promise<SourceRun> {
  const runDir = new RunDirectory(dir);
  return { runDir, manifest: await runDir.readManifest() };
}

/** Trains (or resumes) each setting in turn and reads back its first R trials. */
export async function retrain(source: SourceRun, settings: RetrainSetting[], options: RetrainOptions): Promise<Retrained[]> {
  const base = resolveConfig(source.manifest.config); // fills settings newer than the source run with their defaults
  const results: Retrained[] = [];
  for (const [done, setting] of settings.entries()) {
    const config = resolveConfig(base, { trials: options.runs, subsetRatio: 1, exclude: setting.exclude, ...(options.workers !== undefined && { workers: options.workers }) });
    const runDir = new RunDirectory(source.runDir.path('retrain', hashConfig(config).slice(0, 16)));
    const summary = await train({
      config,
      runDir: runDir.root,
      data: options.data ?? {},
      onStart: ({ manifest }) => {
        const [then, now] = [source.manifest.dataset, manifest.dataset];
        if (then.fingerprint !== now.fingerprint) {
          throw new UsageError(`the data differ from those of ${source.runDir.root} (${then.name} ${then.fingerprint.slice(0, 12)}, now ${now.name} ${now.fingerprint.slice(0, 12)}); give the --data-dir the run was made with`);
        }
      },
    });
    options.onSetting?.(setting.label, { done: done + 1, total: settings.length, ran: summary.ran, seconds: summary.seconds });
    const manifest = await runDir.readManifest();
    const files = await runDir.listTrials();
    const result: Retrained = { runDir: runDir.root, removed: setting.exclude.length, testAccuracy: [], trainCorrect: [], testCorrect: [] };
    for (let k = 0; k < options.runs; k++) {
      const stored = await runDir.readTrial(files.get(k)!, k, manifest);
      result.testAccuracy.push(stored.testAccuracy);
      result.trainCorrect.push(stored.trainCorrect);
      result.testCorrect.push(stored.testCorrect);
    }
    results.push(result);
  }
  return results;
}

/** Mean and sample standard deviation (NaN for fewer than two values). */
export function meanAndSd(values: number[]): { mean: number; sd: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (values.length - 1);
  return { mean, sd: values.length > 1 ? Math.sqrt(variance) : NaN };
}

/** Reads the source run's memorization estimates, refusing ones made for another config. */
export async function readSourceMemorization(source: SourceRun): Promise<{ mem: Float64Array; se: Float64Array }> {
  const path = source.runDir.path('estimates', 'memorization.arrow');
  const { columns, metadata } = await readColumns(path, ['mem', 'se'], `run \`memorize estimate --run-dir ${source.runDir.root}\` first`);
  if (metadata.get('memorize.config_hash') !== source.manifest.configHash) throw new UsageError(`${path} was estimated for another config than ${source.runDir.manifestPath}; rerun \`memorize estimate --run-dir ${source.runDir.root}\``);
  return { mem: columns.mem as Float64Array, se: columns.se as Float64Array };
}
