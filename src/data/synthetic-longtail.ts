// The embedded data set `synthetic-longtail`: the long-tail model of Feldman's theory (slides, "Basic
// model"). Each class is a mixture of subpopulations with Zipf frequencies; an example is its
// subpopulation's prototype plus noise. Train and test come from the same mixture, and every example
// carries its subpopulation id, so high-influence pairs can be checked against the truth.
import { createHash } from 'node:crypto';
import seedrandom from 'seedrandom';
import { canonicalJson, type SyntheticConfig } from '../config/schema.js';
import type { Dataset, Split } from './types.js';

const GENERATOR_VERSION = 1; // bump when the generator's output changes for the same parameters
const PIXEL_CENTER = 128;
const PIXEL_SCALE = 40; // one unit of the prototype's scale, in pixel values

type Random = () => number;

function gaussian(random: Random): number {
  // Box-Muller; 1 - u keeps the logarithm finite.
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

function gaussianVector(random: Random, length: number): Float64Array {
  const v = new Float64Array(length);
  for (let i = 0; i < length; i++) v[i] = gaussian(random);
  return v;
}

/** Cumulative Zipf weights: P(rank r) proportional to (r + 1)^-exponent. */
function zipfCumulative(count: number, exponent: number): Float64Array {
  const cumulative = new Float64Array(count);
  let total = 0;
  for (let r = 0; r < count; r++) cumulative[r] = total += (r + 1) ** -exponent;
  return cumulative.map((c) => c / total);
}

function sampleIndex(cumulative: Float64Array, u: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (u < cumulative[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Prototypes [classes * subpopulations, d]: classSignal * class pattern + own pattern, scaled to unit variance. */
function makePrototypes(p: SyntheticConfig, random: Random): Float64Array[] {
  const d = p.imageSize * p.imageSize;
  const scale = 1 / Math.sqrt(p.classSignal ** 2 + 1);
  const prototypes: Float64Array[] = [];
  for (let c = 0; c < p.classes; c++) {
    const classPattern = gaussianVector(random, d);
    for (let s = 0; s < p.subpopulationsPerClass; s++) {
      const own = gaussianVector(random, d);
      prototypes.push(own.map((v, k) => (p.classSignal * classPattern[k]! + v) * scale));
    }
  }
  return prototypes;
}

function drawSplit(p: SyntheticConfig, prototypes: Float64Array[], size: number, labelNoise: number, random: Random): Split {
  const d = p.imageSize * p.imageSize;
  const cumulative = zipfCumulative(p.subpopulationsPerClass, p.zipfExponent);
  const images = new Uint8Array(size * d);
  const labels = new Int32Array(size);
  const subpopulations = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    const c = Math.floor(random() * p.classes);
    const subpopulation = c * p.subpopulationsPerClass + sampleIndex(cumulative, random());
    const prototype = prototypes[subpopulation]!;
    for (let k = 0; k < d; k++) {
      const value = PIXEL_CENTER + PIXEL_SCALE * (prototype[k]! + p.noise * gaussian(random));
      images[i * d + k] = Math.min(255, Math.max(0, Math.round(value)));
    }
    const flip = random() < labelNoise;
    labels[i] = flip ? (c + 1 + Math.floor(random() * (p.classes - 1))) % p.classes : c;
    subpopulations[i] = subpopulation;
  }
  return { images, labels, subpopulations };
}

/** Generates the data set; a pure function of `params`. */
export function generateSyntheticLongtail(params: SyntheticConfig): Dataset {
  const random = seedrandom(`synthetic-longtail:${params.seed}`);
  const prototypes = makePrototypes(params, random);
  const train = drawSplit(params, prototypes, params.trainSize, params.labelNoise, random);
  const test = drawSplit(params, prototypes, params.testSize, 0, random);
  const fingerprint = createHash('sha256')
    .update(canonicalJson({ generator: 'synthetic-longtail', version: GENERATOR_VERSION, params }))
    .digest('hex');
  return {
    name: 'synthetic-longtail',
    imageShape: [params.imageSize, params.imageSize, 1],
    numClasses: params.classes,
    train,
    test,
    fingerprint,
  };
}
