// `memorize slurm submit`: writes a job-array sbatch script for `train` into <run-dir>/slurm/ and a dependent
// one that waits for the run's claims to settle, refuses an incomplete run (naming the missing trials),
// estimates, selects pairs and writes the report; submits both (the second afterany the first). Tasks claim trials, so any array
// shape, resubmission, requeue or preemption trains every trial once.
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.js';

export interface SlurmSubmitOptions {
  runDir: string;
  trainArgs: string[]; // train flags, passed on as they are (without --run-dir)
  pairsArgs: string[]; // pairs flags (--theta-mem, --theta-infl)
  reportArgs: string[]; // report flags (--data-dir)
  tasks: number; // array tasks
  time?: string; // --time of each task, e.g. 04:00:00
  partition?: string;
  account?: string;
  cpusPerTask?: number;
  gpusPerTask?: number;
  sbatchLines: string[]; // extra "#SBATCH ..." lines (given without the prefix)
  graceSeconds: number; // train --grace; Slurm's warning signal comes this much (+30 s) before the time limit
  dryRun: boolean;
  memorize: string[]; // how to run memorize: [node, main.js]
  cwd: string;
}

export interface SlurmSubmitResult {
  trainScript: string;
  estimateScript: string;
  trainJob?: string;
  estimateJob?: string;
  scripts: string; // both scripts' text (what --dry-run prints)
}

/** One word for bash: as it is when safe, else single-quoted. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

const command = (words: string[]): string => words.map(shellQuote).join(' ');

/** Where any job of the run goes: the partition and account asked for. */
const placement = (o: SlurmSubmitOptions): string[] => [
  ...(o.partition !== undefined ? [`--partition=${o.partition}`] : []),
  ...(o.account !== undefined ? [`--account=${o.account}`] : []),
];

/** A batch script: the shebang, what it is (comment lines), its #SBATCH directives, then its commands. */
const batchScript = (comments: string[], directives: string[], commands: string[]): string =>
  ['#!/bin/bash', ...comments.map((c) => `# ${c}`), ...directives.map((d) => `#SBATCH ${d}`), ...commands, ''].join('\n');

export function trainScript(o: SlurmSubmitOptions, runDir: string): string {
  const directives = [
    `--job-name=memorize-train`,
    `--array=0-${o.tasks - 1}`,
    '--requeue', // a preempted or failed node's task runs again; it claims what is left
    '--open-mode=append', // a requeued task appends to its .out file instead of truncating it
    `--signal=B:TERM@${o.graceSeconds + 30}`, // SIGTERM to memorize (exec'd: the batch shell) before the time limit
    `--output=${join(runDir, 'slurm', 'train-%A_%a.out')}`,
    ...(o.time !== undefined ? [`--time=${o.time}`] : []),
    ...placement(o),
    ...(o.cpusPerTask !== undefined ? [`--cpus-per-task=${o.cpusPerTask}`] : []),
    ...(o.gpusPerTask !== undefined ? [`--gres=gpu:${o.gpusPerTask}`] : []),
    ...o.sbatchLines, // last: they override what is above
  ];
  const comments = [
    'Written by `memorize slurm submit`. Every task claims trials of the run: resubmit any shape of array',
    '(sbatch --array=3 this-file) after a cancel, a time limit or a preemption, and only missing trials run.',
  ];
  return batchScript(comments, directives, [
    `cd ${shellQuote(o.cwd)}`,
    `exec ${command([...o.memorize, 'train', '--run-dir', runDir, '--grace', String(o.graceSeconds), '--progress-interval', '30', ...o.trainArgs])}`,
  ]);
}

export function estimateScript(o: SlurmSubmitOptions, runDir: string): string {
  const directives = ['--job-name=memorize-estimate', '--open-mode=append', `--output=${join(runDir, 'slurm', 'estimate-%j.out')}`, ...placement(o), ...o.sbatchLines];
  const comments = [
    'Written by `memorize slurm submit`: after the train array (afterany), wait for live claims of other jobs,',
    'refuse an incomplete run (the line names the missing trials), then estimate, select pairs and write the report.',
  ];
  return batchScript(comments, directives, [
    'set -e',
    `cd ${shellQuote(o.cwd)}`,
    command([...o.memorize, 'status', '--run-dir', runDir, '--wait', '--require-complete']),
    command([...o.memorize, 'estimate', '--run-dir', runDir]),
    command([...o.memorize, 'pairs', '--run-dir', runDir, ...o.pairsArgs]),
    command([...o.memorize, 'report', '--run-dir', runDir, ...o.reportArgs]),
  ]);
}

function sbatch(args: string[]): string {
  try {
    return execFileSync('sbatch', ['--parsable', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split(';')[0]!;
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new UsageError('sbatch not found: run `memorize slurm submit` on a Slurm login node, or add --dry-run to print the scripts');
    throw new UsageError(`sbatch failed: ${(e.stderr ?? e.message).trim().split('\n')[0]}`);
  }
}

export async function slurmSubmit(o: SlurmSubmitOptions): Promise<SlurmSubmitResult> {
  if (!Number.isSafeInteger(o.tasks) || o.tasks < 1) throw new UsageError(`--tasks must be an integer >= 1, got ${o.tasks}`);
  const runDir = resolve(o.cwd, o.runDir);
  const dir = join(runDir, 'slurm');
  const train = trainScript(o, runDir);
  const estimate = estimateScript(o, runDir);
  const paths = { trainScript: join(dir, 'train.sbatch'), estimateScript: join(dir, 'estimate.sbatch') };
  const scripts = `${paths.trainScript}:\n${train}\n${paths.estimateScript}:\n${estimate}`;
  if (o.dryRun) return { ...paths, scripts };
  await mkdir(dir, { recursive: true });
  await writeFile(paths.trainScript, train);
  await writeFile(paths.estimateScript, estimate);
  const trainJob = sbatch([paths.trainScript]);
  const estimateJob = sbatch([`--dependency=afterany:${trainJob}`, paths.estimateScript]);
  return { ...paths, scripts, trainJob, estimateJob };
}
