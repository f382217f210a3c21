// Which examples the report shows: per class the highest- and lowest-mem examples (Fig. 1), the training
// examples of the pair panels by supplement D's rule against cherry-picking (Fig. 3, D.5-D.9), and each
// one's most influenced test examples. Pure functions over the estimate columns.

/** Indices of class `label` with a defined estimate (finite se), by mem: the `count` highest and `count` lowest. */
export function galleryOfClass(mem: ArrayLike<number>, se: ArrayLike<number>, labels: ArrayLike<number>, label: number, count: number): { memorized: number[]; typical: number[] } {
  const members: number[] = [];
  for (let i = 0; i < labels.length; i++) if (labels[i] === label && Number.isFinite(se[i]!)) members.push(i);
  members.sort((a, b) => mem[b]! - mem[a]! || a - b);
  const memorized = members.slice(0, count);
  const typical = members.slice(Math.max(count, members.length - count)).reverse(); // lowest first, never a repeat
  return { memorized, typical };
}

export const PANEL_SETS = 3; // supplement D: n_copies
export const PANEL_SIZE = 5; // n_egs

/** Supplement D's rule: sort the training examples of the selected pairs by the highest influence each has
 * on a test example (descending, ties to the lower index), take base = floor(linspace(0, count - 3, 5)) and
 * depict, for copy c = 0, 1, 2, the examples at sorted positions base + c. With fewer than 15 examples the
 * rule would repeat examples: then every one is depicted once, in sorted order, as one set. */
export function panelTrainExamples(pairTrain: ArrayLike<number>, pairInfl: ArrayLike<number>): number[][] {
  const best = new Map<number, number>();
  for (let r = 0; r < pairTrain.length; r++) best.set(pairTrain[r]!, Math.max(best.get(pairTrain[r]!) ?? -Infinity, pairInfl[r]!));
  const sorted = [...best.keys()].sort((a, b) => best.get(b)! - best.get(a)! || a - b);
  if (sorted.length < PANEL_SETS * PANEL_SIZE) return sorted.length > 0 ? [sorted] : [];
  const last = sorted.length - PANEL_SETS;
  const base = Array.from({ length: PANEL_SIZE }, (_, k) => Math.floor((last * k) / (PANEL_SIZE - 1)));
  return Array.from({ length: PANEL_SETS }, (_, copy) => base.map((x) => sorted[x + copy]!));
}

/** For each training example in `train`: the rows of the influence table with its `count` highest infl. */
export function mostInfluenced(trainIndex: ArrayLike<number>, infl: ArrayLike<number>, train: number[], count: number): Map<number, number[]> {
  const rows = new Map(train.map((i) => [i, [] as number[]]));
  for (let r = 0; r < trainIndex.length; r++) rows.get(trainIndex[r]!)?.push(r);
  for (const list of rows.values()) {
    list.sort((a, b) => infl[b]! - infl[a]! || a - b);
    list.length = Math.min(list.length, count);
  }
  return rows;
}
