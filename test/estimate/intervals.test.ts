// Wilson's interval against a brute-force inversion of the score test, Newcombe's difference interval
// against the worked examples of Newcombe (1998, Table II, method 10), and neither ever a point.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DifferenceIntervals, WilsonOfN, Z95 } from '../../src/estimate/intervals.js';

const wilsonInterval = (x: number, n: number): { low: number; high: number } => {
  const wilson = new WilsonOfN(n);
  wilson.set(x);
  return { low: wilson.low, high: wilson.high };
};
const differenceInterval = (xIn: number, nIn: number, xOut: number, nOut: number): { low: number; high: number } => {
  const intervals = new DifferenceIntervals(nIn, nOut);
  intervals.set(xIn, xOut);
  return { low: intervals.low, high: intervals.high };
};

/** The Wilson interval by definition: the p on a fine grid that the score test at 95% does not reject. */
function bruteForceWilson(x: number, n: number): { low: number; high: number } {
  const p = x / n;
  let low = Infinity;
  let high = -Infinity;
  for (let k = 0; k <= 200_000; k++) {
    const q = k / 200_000;
    if ((p - q) ** 2 <= (Z95 * Z95 * q * (1 - q)) / n) {
      low = Math.min(low, q);
      high = Math.max(high, q);
    }
  }
  return { low, high };
}

test('the Wilson interval is the set of proportions the score test does not reject', () => {
  for (const [x, n] of [[0, 1], [1, 1], [0, 7], [3, 7], [7, 7], [56, 70], [1, 400], [280, 400]] as const) {
    const interval = wilsonInterval(x, n);
    const expected = bruteForceWilson(x, n);
    assert.ok(Math.abs(interval.low - expected.low) < 1e-5, `low of ${x}/${n}: ${interval.low} vs ${expected.low}`);
    assert.ok(Math.abs(interval.high - expected.high) < 1e-5, `high of ${x}/${n}: ${interval.high} vs ${expected.high}`);
  }
  assert.deepEqual(wilsonInterval(0, 0), { low: 0, high: 1 }, 'no trial: nothing known');
});

test("Newcombe's method 10 reproduces his published examples", () => {
  for (const [x1, n1, x2, n2, low, high] of [[56, 70, 48, 80, 0.0524, 0.3339], [9, 10, 3, 10, 0.1705, 0.809], [5, 56, 0, 29, -0.0381, 0.1926]] as const) {
    const interval = differenceInterval(x1, n1, x2, n2);
    assert.ok(Math.abs(interval.low - low) < 5e-5 && Math.abs(interval.high - high) < 5e-5, `${x1}/${n1} - ${x2}/${n2}: [${interval.low}, ${interval.high}]`);
  }
});

test('the difference interval contains the estimate and never collapses, even where the Wald SE is 0', () => {
  for (let nIn = 0; nIn <= 12; nIn++) {
    for (let nOut = 0; nOut <= 12; nOut++) {
      for (let xIn = 0; xIn <= nIn; xIn++) {
        for (let xOut = 0; xOut <= nOut; xOut++) {
          const d = (nIn ? xIn / nIn : 0.5) - (nOut ? xOut / nOut : 0.5);
          const { low, high } = differenceInterval(xIn, nIn, xOut, nOut);
          assert.ok(low <= d && d <= high && high - low > 0.05, `${xIn}/${nIn} - ${xOut}/${nOut}: [${low}, ${high}]`);
          assert.ok(low >= -1 && high <= 1);
        }
      }
    }
  }
  // Both conditional frequencies 0 or 1 (Wald SE 0): 200/200 against 0/100 is still an interval.
  const { low, high } = differenceInterval(200, 200, 0, 100);
  assert.ok(high === 1 && low < 0.97, `[${low}, ${high}]`);
});
