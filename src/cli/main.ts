#!/usr/bin/env node
// The `memorize` command line: commander wiring only. Each command parses its flags into options,
// calls the core function of the same name, and prints what it returns. One top-level catch turns a
// UsageError into one line on stderr and exit code 2; anything else is a bug and keeps its stack.
// Each command's module is loaded when it runs (start-up is part of every estimate's time): only the commands
// that train (train, run, ablate, loo, backends) load TensorFlow.js, and only report (and run) the report's charts.
import { Command, CommanderError, Option } from 'commander';
import { AUGMENTATIONS, DEFAULT_CONFIG, BACKEND_NAMES } from '../config/schema.js';
import { DATASETS } from '../data/registry.js';
import { MODEL_DESCRIPTIONS } from '../models/catalog.js';
import { Interrupted, UsageError } from '../errors.js';
import { SOURCES, fetchData } from '../commands/data-fetch.js';
import { EXPORT_FORMATS, exportRun, type ExportFormat } from '../commands/export.js';
import type { LabelSource } from '../commands/import.js';
import { parseTrialRange } from '../estimate/trial-selection.js';
import { fileURLToPath } from 'node:url';
import { memorizeVersion } from '../version.js';
import { configFromFlags, parseInteger, parseNumber, parseThresholds, shardFromFlags } from './flags.js';
import { Progress } from './progress.js';
import { StopRequest, signalExitCode } from '../train/signals.js';
import { formatAblate, formatCompare, formatEstimate, formatLoo, formatPairs, formatReport, formatStatus, formatTrain } from './report.js';

const d = DEFAULT_CONFIG;
const defaultRunDir = (flags: Record<string, unknown>, dataset: string, model: string): string =>
  typeof flags['runDir'] === 'string' ? flags['runDir'] : `runs/${dataset}-${model}`;

function addTrainOptions(command: Command): Command {
  return command
    .option('--dataset <name>', `data set: ${Object.keys(DATASETS).join(', ')} (default: ${d.dataset})`)
    .option('--model <name>', `model: ${Object.entries(MODEL_DESCRIPTIONS).map(([k, v]) => `${k} (${v})`).join('; ')} (default: ${d.model})`)
    .option('--config <file>', 'JSON file of settings (see configs/); flags override it, it overrides the defaults')
    .option('--trials <t>', `number of trials t, each trained on a fresh random subset (default: ${d.trials})`)
    .option('--subset-ratio <r>', `subset size m as a fraction of the training set, in (0, 1]; 1 trains every trial on the whole set, for reference runs (default: ${d.subsetRatio})`)
    .option('--exclude <file>', 'remove these training examples before drawing subsets: indices as a JSON array, text, or an Arrow column index/train_index (e.g. a pairs.arrow); part of the config hash')
    .option('--seed <s>', `run seed; trial k's subset and initialisation depend only on (seed, k) (default: ${d.seed})`)
    .option('--epochs <e>', `training epochs per trial (default: ${d.epochs})`)
    .option('--batch-size <b>', `SGD batch size (default: ${d.batchSize})`)
    .option('--learning-rate <lr>', `peak learning rate of the schedule (config "schedule": warmup-linear or warmup-step) (default: ${d.learningRate})`)
    .option('--augment <kind>', `training augmentation: ${AUGMENTATIONS.join(', ')} (crop-flip: random crop of the zero-padded image + left-right flip) (default: ${d.augment})`)
    .option('--limit-train <n>', 'use a stratified subset of n training examples, the same for every seed (default: all)')
    .option('--limit-test <n>', 'use a stratified subset of n test examples (default: all)')
    .option('--record <what>', 'also store per-example margins (correct-class logit minus the best other) in every trial: margins')
    .option('--probe-network <name>', `linear-probe: network trained once on the full training set for representations (default: ${d.probeNetwork})`)
    .option('--probe-epochs <e>', `linear-probe: training epochs of that network (default: ${d.probeEpochs})`)
    .addOption(new Option('--backend <name>', `TensorFlow.js backend; auto tries ${BACKEND_NAMES.slice(1).join(', ')} in that order (default: ${d.backend})`))
    .option('--workers <n>', 'trial-running processes on this machine; auto: one per GPU on tensorflow-gpu (under Slurm the GPUs it allocated), one on webgpu, else one per CPU this process may use (SLURM_CPUS_PER_TASK, affinity, cgroup quota), never more than groups of trials (default: auto)')
    .option('--ensemble <K>', `train K trials at once as one stacked computation in each worker (mlp, cnn, linear-probe), with the results of training them one by one; auto: 16 for mlp and linear-probe, else 1 (default: ${d.ensemble})`)
    .option('--shard <i/N>', 'run only trials k with k mod N = i (default: all; processes on one run directory, a Slurm job array included, claim trials and never train one twice)')
    .option('--grace <s>', 'on SIGTERM/SIGINT: seconds that trials in flight may take to finish and be written; a second signal stops at once (default: 20)')
    .option('--stall-timeout <s>', 'a worker that reports no progress (trial or epoch) for this long is killed and its trials retried once; 0: never (default: 1800)')
    .option('--progress-interval <s>', 'off a terminal (a Slurm .out file), print a progress line this often (default: 60)')
    .option('--run-dir <dir>', 'run directory (default: runs/<dataset>-<model>)')
    .option('--data-dir <dir>', 'directory with the data set files (default: $MEMORIZE_DATA, then system paths)')
    .option('--trainer <command>', 'run this shell command once per trial instead of a built-in model; it reads MEMORIZE_* variables and writes predictions as .npy (README, "Any trainer")')
    .option('--trainer-timeout <s>', 'seconds one trainer run may take before it is stopped and its trial fails (default: no limit)');
}

function addPairOptions(command: Command): Command {
  return command
    .option('--theta-mem <x>', 'select pairs whose train example has mem >= x', '0.25')
    .option('--theta-infl <x>', 'select pairs with infl >= x', '0.15');
}

/** Trains with progress on stderr, prints the summary, then refuses (exit 2) if the external trainer failed any
 * trial, or reports a stop by SIGTERM/SIGINT (what was kept; rerunning resumes). Returns whether no trial was
 * left to other processes' claims. */
async function runTrain(flags: Record<string, unknown>, print: (text: string) => void): Promise<boolean> {
  const config = await configFromFlags(flags);
  const runDir = defaultRunDir(flags, config.dataset, config.model);
  const { train } = await import('../commands/train.js');
  const stop = new StopRequest().install();
  let progress: Progress | undefined;
  let complete = true;
  let recount: NodeJS.Timeout | undefined;
  try {
    const summary = await train({
      config,
      runDir,
      shard: shardFromFlags(flags['shard']),
      data: typeof flags['dataDir'] === 'string' ? { dataDir: flags['dataDir'] } : {},
      stop,
      ...trainControlFlags(flags),
      onStart: ({ pending, finished, countFinished }) => {
        process.stderr.write(`memorize train: ${config.dataset} / ${config.model}, t = ${config.trials}, ${pending} to run, ${finished} finished, workers ${config.workers}, run dir ${runDir}\n`);
        progress = new Progress({ stream: process.stderr, total: pending + finished, finished, intervalSeconds: typeof flags['progressInterval'] === 'string' ? parseNumber('--progress-interval', flags['progressInterval']) : 60 });
        progress.start();
        // Trials that other processes (array tasks) finish count too: recount the files now and then.
        recount = setInterval(() => void countFinished().then((n) => progress?.recount(n), () => undefined), 5000).unref();
      },
      onTrialDone: (done) => progress?.trialDone(done.failure === undefined ? `trial ${done.trial} test acc ${done.testAccuracy.toFixed(3)}` : `trial ${done.trial} failed`),
      onEvent: (event) => {
        if (event.type === 'epoch') progress?.epoch(event.report, event.trials);
        if (event.type === 'stopping') process.stderr.write(`\nmemorize train: ${event.signal}: taking no more trials; ${event.inFlight.length} in flight may finish within ${event.graceSeconds} s (a second signal stops at once)\n`);
        if (event.type === 'retry') process.stderr.write(`\nmemorize train: ${event.trials.length > 0 ? `retrying trial(s) ${event.trials.join(', ')} on` : 'starting'} a fresh worker: ${event.reason}\n`);
      },
    });
    clearInterval(recount);
    progress?.stop();
    progress = undefined;
    print(formatTrain(summary));
    complete = summary.heldElsewhere.length === 0;
    if (summary.stoppedBy !== undefined) {
      throw new Interrupted(`stopped by ${summary.stoppedBy}: ${summary.ran} trial(s) of this process kept, ${summary.finishedInRun} of ${summary.requested} finished in the run; ${summary.finishedInRun < summary.requested ? 'rerun the same command to resume' : 'the run is complete'}`, signalExitCode(summary.stoppedBy));
    }
    const [first, ...others] = [...summary.failed].sort((a, b) => a.trial - b.trial);
    if (first) {
      throw new UsageError(`${summary.failed.length} trial(s) failed and have no file, the ${summary.ran} others are stored; ${first.failure}${others.length > 0 ? ` (and trials ${others.map((f) => f.trial).join(', ')})` : ''}; fix the trainer and rerun the same command to run the missing trials`);
    }
  } finally {
    clearInterval(recount);
    progress?.stop();
    stop.uninstall();
  }
  return complete;
}

/** --grace and --stall-timeout of train and run. */
function trainControlFlags(flags: Record<string, unknown>): { graceSeconds?: number; stallSeconds?: number | null } {
  const seconds = (flag: string, key: string): number | undefined => (typeof flags[key] === 'string' ? parseNumber(flag, flags[key]) : undefined);
  const grace = seconds('--grace', 'grace');
  const stall = seconds('--stall-timeout', 'stallTimeout');
  return { ...(grace !== undefined && { graceSeconds: grace }), ...(stall !== undefined && { stallSeconds: stall === 0 ? null : stall }) };
}

/** --influence-floor: none, or a number in [-1, 1]. */
function parseInfluenceFloor(value: string): number | null {
  if (value === 'none') return null;
  const floor = parseNumber('--influence-floor', value);
  if (!(floor >= -1 && floor <= 1)) throw new UsageError(`--influence-floor must be none or a number in [-1, 1] (infl is a difference of two probabilities), got ${value}`);
  return floor;
}

async function runEstimate(runDir: string, flags: Record<string, unknown> = {}): Promise<string> {
  const { trials, influenceFloor } = flags;
  const { estimate } = await import('../commands/estimate.js');
  return formatEstimate(await estimate({ runDir, ...(typeof trials === 'string' && { trials: parseTrialRange('--trials', trials) }), ...(typeof influenceFloor === 'string' && { influenceFloor: parseInfluenceFloor(influenceFloor) }) }));
}

async function runCompare(runA: string, runB: string | undefined, flags: Record<string, unknown>): Promise<string> {
  if (flags['splitHalf'] === true && runB !== undefined) throw new UsageError('give either two runs or --split-half with one run, not both');
  if (flags['splitHalf'] !== true && runB === undefined) throw new UsageError('give two run directories to compare, or one with --split-half');
  const condition = flags['memCondition'];
  const { compare } = await import('../commands/compare.js');
  return formatCompare(
    await compare({
      runA,
      ...(runB !== undefined && { runB }),
      memCondition: condition === false ? null : parseNumber('--mem-condition', String(condition)),
      ...(typeof flags['trials'] === 'string' && { trials: parseTrialRange('--trials', flags['trials']) }),
      ...(typeof flags['out'] === 'string' && { out: flags['out'] }),
    }),
  );
}

async function runPairs(runDir: string, flags: Record<string, unknown>): Promise<string> {
  const thetaMem = parseNumber('--theta-mem', String(flags['thetaMem']));
  const thetaInfl = parseNumber('--theta-infl', String(flags['thetaInfl']));
  const { pairs } = await import('../commands/pairs.js');
  return formatPairs(await pairs({ runDir, thetaMem, thetaInfl }));
}

async function runReport(runDir: string, flags: Record<string, unknown>): Promise<string> {
  const { report } = await import('../commands/report.js'); // its charts (Vega) take 0.3 s to load: only here
  return formatReport(await report({ runDir, ...(typeof flags['dataDir'] === 'string' && { data: { dataDir: flags['dataDir'] } }) }));
}

/** Options shared by the commands that retrain (ablate, loo). */
function retrainFlags(flags: Record<string, unknown>) {
  if (typeof flags['from'] !== 'string') throw new UsageError('--from <run> is required: the run whose estimates to start from');
  const progress = (label: string, p: { done: number; total: number; ran: number; seconds: number }): void => {
    process.stderr.write(`  [${p.done}/${p.total}] ${label}: ${p.ran} model(s) trained, ${p.seconds.toFixed(1)} s\n`);
  };
  return {
    from: flags['from'],
    runs: parseInteger('--runs', String(flags['runs']), 1),
    seed: parseInteger('--seed', String(flags['seed']), 0),
    ...(typeof flags['workers'] === 'string' && { workers: parseInteger('--workers', flags['workers'], 1) }),
    ...(typeof flags['dataDir'] === 'string' && { data: { dataDir: flags['dataDir'] } }),
    ...(typeof flags['out'] === 'string' && { out: flags['out'] }),
    onSetting: progress,
  };
}

function addRetrainOptions(command: Command, runs: string): Command {
  return command
    .option('--from <run>', 'run directory with estimates (required); the models go to <run>/retrain/<config hash>/ and resume like train')
    .option('--runs <R>', 'models trained per setting, each on the whole remaining set with trial seeds 0..R-1', runs)
    .option('--seed <s>', 'seed of the random choices', '1')
    .option('--workers <n>', 'trial-running processes (default: the source run\'s)')
    .option('--data-dir <dir>', 'directory with the data set files, as for train')
    .option('--out <file>', 'where to write the JSON (default: in the source run directory)');
}

function requireRunDir(flags: Record<string, unknown>): string {
  if (typeof flags['runDir'] !== 'string') throw new UsageError('--run-dir <dir> is required: the directory `memorize train` wrote');
  return flags['runDir'];
}

const text = (flags: Record<string, unknown>, key: string): string | undefined => (typeof flags[key] === 'string' ? flags[key] : undefined);

async function runExport(flags: Record<string, unknown>): Promise<string> {
  const format = text(flags, 'format');
  if (!EXPORT_FORMATS.includes(format as ExportFormat)) throw new UsageError(`--format must be one of ${EXPORT_FORMATS.join(', ')}, got ${JSON.stringify(format ?? null)}`);
  const outDir = text(flags, 'out');
  const { files } = await exportRun({ runDir: requireRunDir(flags), format: format as ExportFormat, ...(outDir !== undefined && { outDir }) });
  return `export: wrote ${files.join(', ')}`;
}

function labelSource(flags: Record<string, unknown>): LabelSource {
  const dataset = text(flags, 'dataset');
  const trainLabels = text(flags, 'trainLabels');
  const testLabels = text(flags, 'testLabels');
  if (dataset !== undefined) {
    const dataDir = text(flags, 'dataDir');
    return { dataset, fileOrder: flags['fileOrder'] === true, ...(dataDir !== undefined && { dataDir }) };
  }
  if (trainLabels === undefined || testLabels === undefined) throw new UsageError('give the labels: --dataset <name> --file-order, or --train-labels and --test-labels (.npy)');
  const classes = text(flags, 'numClasses');
  return { trainLabels, testLabels, ...(classes !== undefined && { numClasses: parseNumber('--num-classes', classes) }) };
}

async function runImport(flags: Record<string, unknown>): Promise<string> {
  const heldout = text(flags, 'heldout');
  const [subset, trainCorrect, testCorrect] = [text(flags, 'subset'), text(flags, 'trainCorrect'), text(flags, 'testCorrect')];
  const masks = subset !== undefined && trainCorrect !== undefined && testCorrect !== undefined ? { subset, trainCorrect, testCorrect } : undefined;
  if (heldout === undefined && masks === undefined && (subset ?? trainCorrect ?? testCorrect) !== undefined) throw new UsageError('--subset, --train-correct and --test-correct go together: give all three');
  const { importRun } = await import('../commands/import.js');
  const result = await importRun({ runDir: requireRunDir(flags), labels: labelSource(flags), ...(heldout !== undefined && { heldout }), ...(masks && { masks }) });
  return `import: ${result.trials} trials, n = ${result.n} train, n' = ${result.nTest} test, m = ${result.m}, into ${result.runDir}; next: memorize estimate --run-dir ${result.runDir}`;
}

async function runStatus(runDir: string, wait: boolean, requireComplete: boolean): Promise<string> {
  const { status } = await import('../commands/status.js');
  let state = await status({ runDir });
  while (wait && state.claims.some((c) => !c.stale)) {
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    state = await status({ runDir });
  }
  if (requireComplete && state.finished < state.requested) {
    throw new UsageError(`${runDir} is incomplete: ${state.requested - state.finished} of ${state.requested} trials have no file (trials ${state.missing}); train them (resubmit: memorize slurm submit with the same flags, or sbatch ${runDir}/slurm/train.sbatch), then estimate`);
  }
  return formatStatus(state);
}

/** `memorize slurm submit`: the train flags are passed on to every task as given. */
function addSlurmCommand(program: Command, print: (text: string) => void): void {
  const trainFlags = addTrainOptions(new Command()).options.map((o) => ({ key: o.attributeName(), flag: o.long! })).filter((o) => o.key !== 'runDir');
  const submit = program.command('slurm').description('run on a Slurm cluster').command('submit').description('write <run-dir>/slurm/train.sbatch (a job array of train tasks that claim trials, --requeue, SIGTERM before the time limit) and estimate.sbatch (afterany: refuses an incomplete run, then estimate, pairs and report), and submit both');
  addPairOptions(addTrainOptions(submit))
    .option('--tasks <n>', 'array tasks (any number: tasks claim trials, none is trained twice)', '4')
    .option('--time <t>', 'time limit of each task (sbatch --time, e.g. 04:00:00)')
    .option('--partition <p>', 'partition')
    .option('--account <a>', 'account')
    .option('--cpus-per-task <n>', 'CPUs per task (the default --workers follows SLURM_CPUS_PER_TASK)')
    .option('--gpus-per-task <n>', 'GPUs per task (--gres=gpu:N; one worker per allocated GPU)')
    .option('--sbatch <line>', 'an extra #SBATCH line, e.g. "--qos=long" (repeatable)', (line: string, all: string[]) => [...all, line], [] as string[])
    .option('--dry-run', 'print the scripts, write and submit nothing')
    .action(async (flags: Record<string, unknown>) => {
      const runDir = requireRunDir(flags);
      await configFromFlags(flags); // bad train flags fail here, not in every task
      const pass = (keys: { key: string; flag: string }[]): string[] => keys.flatMap(({ key, flag }) => (typeof flags[key] === 'string' ? [flag, flags[key]] : []));
      const int = (flag: string, key: string): number | undefined => (typeof flags[key] === 'string' ? parseInteger(flag, flags[key], 1) : undefined);
      const [cpusPerTask, gpusPerTask] = [int('--cpus-per-task', 'cpusPerTask'), int('--gpus-per-task', 'gpusPerTask')];
      const { slurmSubmit } = await import('../commands/slurm.js');
      const result = await slurmSubmit({
        runDir,
        trainArgs: pass(trainFlags),
        pairsArgs: pass([{ key: 'thetaMem', flag: '--theta-mem' }, { key: 'thetaInfl', flag: '--theta-infl' }]),
        reportArgs: pass(trainFlags.filter((o) => o.key === 'dataDir')),
        tasks: parseInteger('--tasks', String(flags['tasks']), 1),
        ...(typeof flags['time'] === 'string' && { time: flags['time'] }),
        ...(typeof flags['partition'] === 'string' && { partition: flags['partition'] }),
        ...(typeof flags['account'] === 'string' && { account: flags['account'] }),
        ...(cpusPerTask !== undefined && { cpusPerTask }),
        ...(gpusPerTask !== undefined && { gpusPerTask }),
        sbatchLines: flags['sbatch'] as string[],
        graceSeconds: typeof flags['grace'] === 'string' ? parseNumber('--grace', flags['grace']) : 60,
        dryRun: flags['dryRun'] === true,
        memorize: [process.execPath, fileURLToPath(import.meta.url)],
        cwd: process.cwd(),
      });
      if (result.trainJob === undefined) return print(result.scripts);
      print(`slurm: submitted train array job ${result.trainJob} (${result.trainScript}) and estimate job ${result.estimateJob} (afterany); watch with: memorize status --run-dir ${runDir}`);
    });
}

function buildProgram(print: (text: string) => void): Command {
  const program = new Command('memorize')
    .description("Measure what neural networks memorize: Feldman & Zhang's subsampled memorization and influence estimates")
    .version(memorizeVersion(), '--version', 'print the version of memorize')
    .exitOverride()
    // Commander's own usage errors, as one line: the error, its suggestion, where to find help.
    .configureOutput({ outputError: (text, write) => write(`memorize: ${text.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ')} (see memorize --help)\n`) });

  addTrainOptions(program.command('train').description('train t models on random subsets of size m and write one trial file each (resumes a run)')).action(async (flags: Record<string, unknown>) => {
    await runTrain(flags, print);
  });
  program
    .command('estimate')
    .description('estimate mem(i) and infl(i, j) with standard errors from the finished trials (Algorithm 1)')
    .option('--run-dir <dir>', 'run directory written by `memorize train` (required)')
    .option('--trials <FIRST:LAST>', 'use only trials FIRST to LAST (indices, both included), e.g. 0:99 for the first 100 (default: all finished)')
    .option('--influence-floor <F>', 'influence.arrow keeps the same-class pairs with infl >= F (exactly), or every pair with none (default: every pair up to 1,000,000 of them, else 0.05)')
    .action(async (flags: Record<string, unknown>) => print(await runEstimate(requireRunDir(flags), flags)));
  program
    .command('compare <runA> [runB]')
    .description('consistency of two runs on the same data, or of one run\'s halves (supplement C, eq. 4): Jaccard and mean difference of mem and infl at thresholds 0 to 1, Pearson correlations')
    .option('--split-half', 'compare the even against the odd trials of runA')
    .option('--mem-condition <x>', 'I_infl counts a pair only if its train example has mem >= x (eq. 4)', '0.25')
    .option('--no-mem-condition', 'drop that condition (as for Fig. C.3, linear probes)')
    .option('--trials <FIRST:LAST>', 'use only trials FIRST to LAST of each run (default: all finished)')
    .option('--out <file>', 'where to write the JSON (default: <runA>/compare.json)')
    .action(async (runA: string, runB: string | undefined, flags: Record<string, unknown>) => print(await runCompare(runA, runB, flags)));
  addPairOptions(program.command('pairs').description('select high-influence pairs: same class, mem >= theta-mem, infl >= theta-infl'))
    .option('--run-dir <dir>', 'run directory with estimates/ (required)')
    .action(async (flags: Record<string, unknown>) => print(await runPairs(requireRunDir(flags), flags)));
  addPairOptions(addTrainOptions(program.command('run').description('train, estimate, select pairs and write the report in one go (the README\'s main command)'))).action(
    async (flags: Record<string, unknown>) => {
      const complete = await runTrain(flags, print);
      const config = await configFromFlags(flags);
      const runDir = defaultRunDir(flags, config.dataset, config.model);
      // Another process (an array task) still trains some trials: estimating now would use part of the run.
      if (!complete) return print(`run: not estimating yet: other processes still train trials of ${runDir}; when they are done: memorize estimate --run-dir ${runDir} && memorize pairs --run-dir ${runDir} && memorize report --run-dir ${runDir}`);
      print(await runEstimate(runDir));
      print(await runPairs(runDir, flags));
      print(await runReport(runDir, flags));
    },
  );
  program
    .command('report')
    .description("write <run-dir>/report/index.html: one self-contained page with the paper's figures and the data set's examples as images (opens from file://, no network)")
    .option('--run-dir <dir>', 'run directory with estimates/ (required)')
    .option('--data-dir <dir>', 'directory with the data set files, as for train (checked against the run\'s fingerprint)')
    .action(async (flags: Record<string, unknown>) => print(await runReport(requireRunDir(flags), flags)));
  addRetrainOptions(program.command('ablate').description('remove examples and retrain: mem >= each threshold against as many random ones (Fig. 2), or --pairs: S_h and accuracy on S\'_h (supplement C)'), '5')
    .option('--thresholds <list>', 'mem thresholds: comma-separated or FROM:TO:STEP', '0.05:0.95:0.1')
    .option('--pairs', 'remove the training examples of the selected pairs (pairs.arrow) instead, and report accuracy on their test partners')
    .action(async (flags: Record<string, unknown>) => {
      const common = retrainFlags(flags);
      const pairsMode = flags['pairs'] === true;
      const { ablate } = await import('../commands/ablate.js');
      print(formatAblate(await ablate({ ...common, pairs: pairsMode, thresholds: pairsMode ? [] : parseThresholds('--thresholds', String(flags['thresholds'])) })));
    });
  addRetrainOptions(program.command('loo').description('leave-one-out check of mem_m: examples spread over the mem range, R models with and without each (exact with R = 1 for knn)'), '5')
    .option('--examples <k>', 'training examples to check, spread over the mem range', '20')
    .action(async (flags: Record<string, unknown>) => {
      const { loo } = await import('../commands/loo.js');
      print(formatLoo(await loo({ ...retrainFlags(flags), examples: parseInteger('--examples', String(flags['examples']), 1) })));
    });
  program
    .command('export')
    .description('write a run\'s estimates for other tools: npz (the authors\' released layout, numpy alone), parquet (DuckDB, pandas, polars), csv (memorization and pairs)')
    .option('--run-dir <dir>', 'run directory with estimates/ (required)')
    .option('--format <f>', `one of ${EXPORT_FORMATS.join(', ')} (required)`)
    .option('--out <dir>', 'where to write (default: <run-dir>/export)')
    .action(async (flags: Record<string, unknown>) => print(await runExport(flags)));
  program
    .command('import')
    .description('make a run directory from trials trained elsewhere: the authors\' heldout runs (aux_arrays.npz) or .npy masks')
    .option('--run-dir <dir>', 'new run directory to create (required)')
    .option('--heldout <dir>', 'directory of the authors\' runs, each folder with aux_arrays.npz (one subset ratio, e.g. <experiment>/0.7)')
    .option('--subset <npy>', 'bool/0-1 array [t, n]: example i was in trial k\'s subset')
    .option('--train-correct <npy>', 'bool/0-1 array [t, n]: trial k\'s model got train example i right')
    .option('--test-correct <npy>', "bool/0-1 array [t, n']: trial k's model got test example j right")
    .option('--dataset <name>', 'take the labels from this data set, in its file order (needs --file-order)')
    .option('--data-dir <dir>', 'directory with that data set\'s files')
    .option('--file-order', 'the runs index examples in the data set\'s file order (the authors\' TFDS runs do not)')
    .option('--train-labels <npy>', 'labels of the n train examples, any integer dtype')
    .option('--test-labels <npy>', "labels of the n' test examples")
    .option('--num-classes <c>', 'number of classes (default: largest label + 1)')
    .action(async (flags: Record<string, unknown>) => print(await runImport(flags)));
  program
    .command('data')
    .description('manage data sets')
    .command('fetch <name>')
    .description(`download a data set from its official source and verify its published checksum (${Object.keys(SOURCES).join(', ')})`)
    .option('--data-dir <dir>', 'where to put it (default: $MEMORIZE_DATA/<name>, else ~/.cache/memorize/<name>, where train looks)')
    .action(async (name: string, flags: Record<string, unknown>) => {
      const dir = await fetchData({ name, ...(typeof flags['dataDir'] === 'string' && { dataDir: flags['dataDir'] }) });
      print(`fetched ${name} into ${dir} (checksums verified)`);
    });
  program
    .command('status')
    .description('where a run stands: finished of requested, missing trials, claims in flight (holder, age), rate and ETA, failures')
    .option('--run-dir <dir>', 'run directory (required)')
    .option('--wait', 'first wait while other processes hold live claims on the run (checked every 10 s)')
    .option('--require-complete', 'exit 2, naming the missing trials, unless every requested trial is finished')
    .action(async (flags: Record<string, unknown>) => print(await runStatus(requireRunDir(flags), flags['wait'] === true, flags['requireComplete'] === true)));
  addSlurmCommand(program, print);
  program
    .command('backends')
    .description('list every TensorFlow.js backend: available, or why not, and which one --backend auto picks')
    .action(async () => {
      const { formatBackends } = await import('./backends.js');
      print(await formatBackends());
    });
  return program;
}

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram((text) => process.stdout.write(`${text}\n`)).parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`memorize: ${error.message}\n`);
      return 2;
    }
    if (error instanceof Interrupted) {
      process.stderr.write(`memorize: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2; // commander printed the message
    throw error;
  }
}

process.exitCode = await main(process.argv);
