// The report's sections from a run's data: the run, memorization (Fig. 1 galleries with a class picker),
// influence (Fig. C.1 histogram, Fig. 3 pair panels by supplement D's rule), trust, compare (Fig. C.2),
// ablation (Fig. 2) and, on synthetic-longtail, the ground truth. A missing piece names its command.
import type { AblateResult } from '../commands/ablate.js';
import type { CompareResult } from '../commands/compare.js';
import type { LooResult } from '../commands/loo.js';
import { SPLIT_HALF_MINIMUM, type PairsResult } from '../commands/pairs.js';
import type { UndefinedEstimates } from '../estimate/estimator.js';
import type { FrequencyBucket } from '../estimate/ground-truth.js';
import type { Thresholds } from '../estimate/pairs.js';
import type { RunManifest } from '../store/run-dir.js';
import { bars, histogram, lines } from './charts.js';
import { chart, escapeHtml, facts, fixed, missing, page, paragraph, section, table, thumbnail, warning } from './html.js';
import { exampleDataUri, type ImageSource } from './images.js';
import { galleryOfClass, mostInfluenced, panelTrainExamples } from './selection.js';

export const GALLERY_SIZE = 8; // examples per class and kind (highest mem, lowest mem)
export const PANEL_TESTS = 4; // most influenced test examples per panel (Fig. 3)

export interface ReportData {
  runDir: string;
  manifest: RunManifest;
  classNames: string[];
  images: { train: ImageSource; test: ImageSource };
  testLabels: Int32Array;
  trials: { finished: number; requested: number; testAccuracy: number[]; seconds: number[]; backends: Set<string> };
  estimates: {
    labels: Int32Array;
    mem: Float64Array;
    se: Float64Array;
    undefinedEstimates: UndefinedEstimates;
    trials: number;
    trialRange: string;
    influence: { trainIndex: Int32Array; testIndex: Int32Array; infl: Float32Array; se: Float32Array };
  };
  pairs: { summary: PairsResult['summary']; trainIndex: Int32Array; testIndex: Int32Array; infl: Float32Array } | null;
  thresholds: Thresholds;
  countsByTrials: { trials: number; memorized: number; pairs: number }[];
  compare: CompareResult | null;
  ablate: AblateResult | null;
  ablatePairs: AblateResult | null;
  loo: LooResult | null;
  groundTruth: { bySize: FrequencyBucket[]; precision?: number } | null;
}

const plusMinus = (value: number, se: number): string => (Number.isFinite(se) ? `${fixed(value, 2)} ± ${fixed(se, 2)}` : fixed(value, 2));
const UNTRAINED_MODELS = new Set(['knn', 'imported']); // no epochs or learning rate to show
const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);

/** Collects the "not there yet" lines, so the command can also list them. */
class Missing {
  readonly lines: string[] = [];
  note(what: string, command: string): string {
    this.lines.push(`${what}: ${command}`);
    return missing(what, command);
  }
}

async function runSection(d: ReportData): Promise<string> {
  const { manifest: m, trials } = d;
  const config = m.config;
  const spent = sum(trials.seconds);
  const rows: [string, string][] = [
    ['data set', `${m.dataset.name}: ${m.dataset.n} train, ${m.dataset.nTest} test examples, ${m.dataset.numClasses} classes, images ${m.dataset.imageShape.join('×')}`],
    ['data fingerprint', `sha256 ${m.dataset.fingerprint.slice(0, 16)}… (checked against the data read now)`],
    ['model', `${config.model}${config.trainer ? ` through the trainer \`${config.trainer}\`` : ''}${UNTRAINED_MODELS.has(config.model) ? '' : `, ${config.epochs} epochs, batch ${config.batchSize}, learning rate ${config.learningRate}`}`],
    ['trials', `${trials.finished} finished of ${trials.requested} requested; the estimates use ${d.estimates.trials} (${d.estimates.trialRange === 'all' ? 'all finished' : `trials ${d.estimates.trialRange}`})`],
    ['subset size m', `${m.m} of ${m.dataset.n} (${fixed(m.m / m.dataset.n, 2)}); seed ${m.seed}`],
    ['backend', [...trials.backends].join('; ') || 'n/a'],
    ['training time', `${fixed(spent, 1)} s summed over the trials read, ${fixed(spent / trials.seconds.length, 2)} s a trial: ${Math.round((3600 * trials.seconds.length) / spent).toLocaleString('en-US')} trials/hour per worker process (${config.workers === 'auto' ? '--workers auto' : `${config.workers} worker(s)`} configured)`],
    ['mean test accuracy', fixed(sum(trials.testAccuracy) / trials.testAccuracy.length)],
    ['run directory', `${d.runDir} (config hash ${m.configHash.slice(0, 12)}, made ${m.createdAt})`],
  ];
  const accuracy = chart('Test accuracy of the trials.', await histogram(trials.testAccuracy, { x: 'test accuracy', maxbins: 20 }), `Each of the ${trials.testAccuracy.length} models, trained on its own random subset of ${m.m} examples.`);
  return section('run', 'The run', facts(rows) + `<div class="charts">${accuracy}</div>`);
}

function image(source: ImageSource, index: number, caption: string, title: string, extraClass = ''): string {
  return thumbnail({ src: exampleDataUri(source, index), caption, title }, extraClass);
}

async function memorizationSection(d: ReportData): Promise<string> {
  const { mem, se, labels, undefinedEstimates: u } = d.estimates;
  const defined = Array.from(mem).filter((_, i) => Number.isFinite(se[i]!));
  const memorized = defined.filter((v) => v >= d.thresholds.thetaMem).length;
  const parts = [
    paragraph(`mem(i) = P[h(x_i) = y_i | i ∈ I] − P[h(x_i) = y_i | i ∉ I] over the trials; ${memorized} of ${defined.length} examples with a defined estimate have mem ≥ ${d.thresholds.thetaMem}, mean mem ${fixed(sum(defined) / defined.length)}.`),
    `<div class="charts">${chart('Histogram of mem.', await histogram(defined, { x: 'memorization estimate mem', domain: [-0.2, 1], maxbins: 48 }), 'Every training example with a defined estimate.')}</div>`,
  ];
  if (u.neverLeftOut + u.neverIncluded > 0) parts.push(warning(`${u.neverLeftOut + u.neverIncluded} examples have no trial on one side (${u.neverLeftOut} in every subset, ${u.neverIncluded} in none): no defined estimate, left out of the galleries and counts.`));
  const options = d.classNames.map((name, c) => `<option value="${c}">${escapeHtml(name)}</option>`).join('');
  const galleries = d.classNames.map((name, c) => {
    const g = galleryOfClass(mem, se, labels, c, GALLERY_SIZE);
    const strip = (indices: number[]): string => `<div class="strip">${indices.map((i) => image(d.images.train, i, `mem ${plusMinus(mem[i]!, se[i]!)}`, `train #${i}, ${name}`)).join('')}</div>`;
    return `<div class="class-gallery" data-class="${c}"${c === 0 ? '' : ' hidden'}><div class="gallery"><div><h3>Highest mem: memorized (${escapeHtml(name)})</h3>${strip(g.memorized)}</div><div><h3>Lowest mem: typical (${escapeHtml(name)})</h3>${strip(g.typical)}</div></div></div>`;
  });
  parts.push(`<p><label for="class-picker">Class</label><select id="class-picker">${options}</select> (as in the paper's Fig. 1: each training image with its mem ± standard error)</p>${galleries.join('')}`);
  return section('memorization', 'Memorization', parts.join(''));
}

async function influenceSection(d: ReportData, notes: Missing): Promise<string> {
  const p = d.pairs;
  if (!p) return section('influence', 'Influence', notes.note('High-influence pairs', `memorize pairs --run-dir ${d.runDir}`));
  const s = p.summary;
  const byK = Object.entries(s.testInfluencedBy).map(([k, count]) => ({ category: k, value: count }));
  const charts = [chart('Histogram of infl of the selected pairs (Fig. C.1).', await histogram(p.infl, { x: 'influence estimate infl', domain: [s.thetaInfl, 1], maxbins: 34 }), `${s.pairs} pairs: same class, mem ≥ ${s.thetaMem}, infl ≥ ${s.thetaInfl}.`)];
  if (byK.length > 0) charts.push(chart('Test examples influenced by exactly k training examples.', await bars(byK, { x: 'k', y: 'test examples' }), `${s.uniqueTest} test examples in all.`));
  const parts = [paragraph(`${s.pairs} high-influence pairs from ${s.trials} trials: ${s.uniqueTrain} distinct training and ${s.uniqueTest} distinct test examples.`), `<div class="charts">${charts.join('')}</div>`];
  const sets = panelTrainExamples(p.trainIndex, p.infl);
  if (sets.length === 0) {
    parts.push(paragraph('No pair passed both thresholds, so there is no pair panel.'));
  } else {
    const { mem, se } = d.estimates;
    const inf = d.estimates.influence;
    const shown = mostInfluenced(inf.trainIndex, inf.infl, sets.flat(), PANEL_TESTS);
    const rule = sets.length === 1 && sets[0]!.length < 15 ? `all ${sets[0]!.length} training examples of the pairs, by their highest influence` : 'supplement D\'s rule against cherry-picking: the training examples of the pairs sorted by their highest influence, 3 sets of 5 spread evenly over that order';
    parts.push(`<h3>Memorized training examples and the test examples they influence most (Fig. 3)</h3>${paragraph(`Chosen by ${rule}. Left, with a red frame: the training example and its mem; right: its ${PANEL_TESTS} most influenced test examples of the same class and their infl ± standard error.`)}`);
    sets.forEach((set, k) => {
      const panels = set.map((i) => {
        const name = d.classNames[d.estimates.labels[i]!]!;
        const tests = (shown.get(i) ?? []).map((r) => image(d.images.test, inf.testIndex[r]!, `infl ${plusMinus(inf.infl[r]!, inf.se[r]!)}`, `test #${inf.testIndex[r]!}, ${name}`));
        return `<div class="panel">${image(d.images.train, i, `mem ${plusMinus(mem[i]!, se[i]!)}`, `train #${i}, ${name}`, 'train')}<span class="arrow">→</span><div class="strip">${tests.join('')}</div></div>`;
      });
      parts.push(`<h3>Set ${k + 1}</h3><div class="panels">${panels.join('')}</div>`);
    });
  }
  return section('influence', 'Influence', parts.join(''));
}

async function trustSection(d: ReportData): Promise<string> {
  const parts: string[] = [];
  const split = d.pairs?.summary.splitHalf;
  if (split) {
    parts.push(paragraph(`Split-half Jaccard of the pair selection (even against odd trials, ${split.trials[0]} and ${split.trials[1]}): ${fixed(split.jaccard)}. A full run agrees better with another full run than its halves do with each other.`));
    if (!(split.jaccard >= SPLIT_HALF_MINIMUM)) parts.push(warning(`Split-half Jaccard below ${SPLIT_HALF_MINIMUM}: selection noise; run more trials (\`memorize train --trials <more> --run-dir ${d.runDir}\`) or raise --theta-infl.`));
  } else if (d.pairs) {
    parts.push(paragraph('No split-half Jaccard: the trials do not fill both halves.'));
  }
  const u = d.estimates.undefinedEstimates;
  if (u.neverLeftOut + u.neverIncluded > 0) parts.push(warning(`${u.neverLeftOut + u.neverIncluded} examples with no trial on one side (NaN standard error) are left out of every count and selection; run more trials or a lower --subset-ratio.`));
  if (d.pairs && d.pairs.summary.undefinedPairs > 0) parts.push(warning(`${d.pairs.summary.undefinedPairs} pairs past both thresholds have a NaN standard error and were left out.`));
  const rows = d.countsByTrials.flatMap((c) => [{ x: c.trials, y: c.memorized, series: `examples with mem ≥ ${d.thresholds.thetaMem}` }, { x: c.trials, y: c.pairs, series: `pairs (infl ≥ ${d.thresholds.thetaInfl})` }]);
  parts.push(`<div class="charts">${chart('Counts against the number of trials t.', await lines(rows, { x: 'trials t (the first t of the estimates\' trials)', y: 'count', zero: true }), 'Recounted from the first t trials; counts that still fall with t are selection noise.')}</div>`);
  parts.push(table(['trials', `mem ≥ ${d.thresholds.thetaMem}`, 'pairs'], d.countsByTrials.map((c) => [String(c.trials), String(c.memorized), String(c.pairs)])));
  return section('trust', 'How far to trust it', parts.join(''));
}

async function compareSection(d: ReportData, notes: Missing): Promise<string> {
  const c = d.compare;
  if (!c) return section('compare', 'Consistency (Fig. C.2)', notes.note('Consistency curves', `memorize compare ${d.runDir} <another run>  (or: memorize compare --split-half ${d.runDir})`));
  const [a, b] = c.sides;
  const curve = (key: 'mem' | 'infl') => c.rows.flatMap((r) => [{ x: r.threshold, y: r[key].jaccard, series: `J_${key} (Jaccard)` }, { x: r.threshold, y: r[key].meanAbsDifference, series: `D_${key} (mean |difference|)` }]).filter((r) => Number.isFinite(r.y));
  const who = c.mode === 'split-half' ? `the even against the odd trials of ${a.runDir}` : `${a.runDir} (${a.model}) against ${b.runDir} (${b.model})`;
  const charts = [
    chart('Memorization estimates.', await lines(curve('mem'), { x: 'threshold θ on mem', y: 'J, D', yDomain: [0, 1] }), 'Selected set I_mem(θ) = {i : mem ≥ θ}.'),
    chart('Influence estimates.', await lines(curve('infl'), { x: 'threshold θ on infl', y: 'J, D', yDomain: [0, 1] }), `I_infl(θ) = {(i, j) : infl ≥ θ${c.memCondition === null ? '' : `, mem ≥ ${c.memCondition}`}}.`),
  ];
  const corr = c.correlations;
  return section('compare', 'Consistency (Fig. C.2)', paragraph(`compare.json: ${who}; ${a.trials} and ${b.trials} trials, mean test accuracy ${fixed(a.meanTestAccuracy)} and ${fixed(b.meanTestAccuracy)}. Pearson r of mem ${fixed(corr.memAll)} (all), of infl ${fixed(corr.inflAll)} (all same-class pairs).`) + `<div class="charts">${charts.join('')}</div>`);
}

async function ablationSection(d: ReportData, notes: Missing): Promise<string> {
  const parts: string[] = [];
  const a = d.ablate;
  if (a?.rows) {
    const point = (fraction: number, acc: { mean: number; sd: number }, series: string) => ({ x: fraction, y: acc.mean, series, ...(Number.isFinite(acc.sd) && { low: acc.mean - acc.sd, high: acc.mean + acc.sd }) });
    const rows = [point(0, a.full, 'high-mem examples removed'), point(0, a.full, 'as many random ones removed'), ...a.rows.flatMap((r) => [point(1 - r.fractionLeft, r.highMem, 'high-mem examples removed'), point(1 - r.fractionLeft, r.random, 'as many random ones removed')])];
    parts.push(`<div class="charts">${chart('Test accuracy against the fraction of the training set removed (Fig. 2).', await lines(rows, { x: 'fraction of the training set removed', y: 'test accuracy' }), `ablate.json: ${a.runs} model(s) per setting, ± one standard deviation.`)}</div>`);
    parts.push(table(['mem ≥', 'removed', 'accuracy, high-mem removed', 'accuracy, as many random removed'], a.rows.map((r) => [fixed(r.threshold, 2), String(r.removed), plusMinus(r.highMem.mean, r.highMem.sd), plusMinus(r.random.mean, r.random.sd)])));
  } else {
    parts.push(notes.note('Ablation curves', `memorize ablate --from ${d.runDir}`));
  }
  const p = d.ablatePairs?.pairs;
  if (p) {
    parts.push(`<h3>Removing S_h, the training examples of the pairs (ablate-pairs.json)</h3>`, table(['trained on', 'test accuracy', `accuracy on S'_h (${p.testInfluenced} test examples)`], [
      ['S (full)', plusMinus(p.overall.full.mean, p.overall.full.sd), plusMinus(p.onInfluenced.full.mean, p.onInfluenced.full.sd)],
      [`S \\ S_h (${p.trainRemoved} removed)`, plusMinus(p.overall.withoutSh.mean, p.overall.withoutSh.sd), plusMinus(p.onInfluenced.withoutSh.mean, p.onInfluenced.withoutSh.sd)],
      [`S minus ${p.trainRemoved} random`, plusMinus(p.overall.randomRemoved.mean, p.overall.randomRemoved.sd), plusMinus(p.onInfluenced.randomRemoved.mean, p.onInfluenced.randomRemoved.sd)],
    ]));
  } else {
    parts.push(notes.note('Removal of S_h', `memorize ablate --from ${d.runDir} --pairs`));
  }
  if (d.loo) {
    parts.push(`<h3>Leave-one-out check (loo.json)</h3>`, paragraph(`Pearson r of mem_m and LOO mem over ${d.loo.rows.length} examples: ${fixed(d.loo.correlation)}.`), table(['train example', 'mem_m', 'LOO mem'], d.loo.rows.map((r) => [String(r.index), plusMinus(r.mem, r.memSe), plusMinus(r.loo, r.looSe)])));
  } else {
    parts.push(notes.note('Leave-one-out check', `memorize loo --from ${d.runDir}`));
  }
  return section('ablation', 'Marginal utility (Fig. 2)', parts.join(''));
}

async function groundTruthSection(d: ReportData): Promise<string> {
  const g = d.groundTruth!;
  const rows = g.bySize.map((b) => ({ category: b.label, value: b.meanMem }));
  const precision = g.precision === undefined ? '' : ` ${fixed(g.precision)} of the selected pairs join a training and a test example of the same subpopulation (precision).`;
  return section('ground-truth', 'Ground truth (synthetic-longtail)', paragraph(`The data set knows each example's subpopulation.${precision}`) + `<div class="charts">${chart('Mean mem by the training size of the example\'s subpopulation.', await bars(rows, { x: 'training examples in the subpopulation', y: 'mean mem' }), g.bySize.map((b) => `${b.label}: ${b.examples} examples`).join('; '))}</div>`);
}

/** The whole page, and the list of pieces the run directory lacks. */
export async function renderReport(d: ReportData): Promise<{ html: string; missing: string[] }> {
  const notes = new Missing();
  const sections: [string, string, string][] = [
    ['run', 'Run', await runSection(d)],
    ['memorization', 'Memorization', await memorizationSection(d)],
    ['influence', 'Influence', await influenceSection(d, notes)],
    ['trust', 'Trust', await trustSection(d)],
    ['compare', 'Consistency', await compareSection(d, notes)],
    ['ablation', 'Marginal utility', await ablationSection(d, notes)],
  ];
  if (d.groundTruth) sections.push(['ground-truth', 'Ground truth', await groundTruthSection(d)]);
  const m = d.manifest;
  const html = page(`memorize report: ${m.dataset.name} / ${m.config.model}`, `Feldman & Zhang's memorization and influence estimates from ${d.estimates.trials} trials, ${d.runDir}.`, sections.map(([id, name]) => [id, name]), sections.map(([, , body]) => body));
  return { html, missing: notes.lines };
}
