// Progress: counts the whole run, fits 80 columns on a terminal, prints plain lines elsewhere; status ranges.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COLUMNS, Progress, formatEpoch } from '../../src/cli/progress.js';
import { formatRanges } from '../../src/commands/status.js';

function fakeStream(tty: boolean): NodeJS.WriteStream & { text: string } {
  const stream = { isTTY: tty, text: '', write(chunk: string) { stream.text += chunk; return true; } };
  return stream as unknown as NodeJS.WriteStream & { text: string };
}

test('the bar counts the whole run (48/64 after 16 of 32 pending) and fits 80 columns', () => {
  let now = 0;
  const stream = fakeStream(true);
  const progress = new Progress({ stream, total: 64, finished: 32, intervalSeconds: 60, now: () => now });
  for (let i = 0; i < 16; i++) {
    now += 15_000;
    progress.trialDone(`trial ${i} test acc 0.714`);
  }
  progress.epoch({ epoch: 3, epochs: 160, loss: 1.23456, accuracy: 0.5, seconds: 812.3 }, [32, 33, 34, 47]);
  const bar = progress.bar();
  assert.match(bar, /^\[#{15}-{5}\] 48\/64 trials, 4\.0\/min, ETA 4m00s; trials 32-47 epoch 3\/…$/, 'cut to fit');
  assert.ok(bar.length <= COLUMNS - 1, `${bar.length} columns`);
  assert.match(progress.line(), /; trials 32-47 epoch 3\/160 loss 1\.235 acc 0\.500 \(812\.3 s\)$/, 'the whole note off a terminal');
  assert.ok(stream.text.split('\r').every((line) => line.replace('\x1b[K', '').length < COLUMNS));
});

test('off a terminal: no bar, a plain line at each interval (the Slurm test sees them in .out files)', () => {
  const stream = fakeStream(false);
  let now = 0;
  const progress = new Progress({ stream, total: 10, finished: 4, intervalSeconds: 60, now: () => now });
  now = 60_000;
  progress.trialDone('trial 4 test acc 0.5');
  assert.equal(stream.text, '', 'nothing per trial');
  progress.recount(8); // others finished 3 meanwhile
  assert.equal(progress.line(), 'progress: 8/10 trials, 4.0/min, ETA 0m30s; trial 4 test acc 0.5');
  progress.stop();
  assert.equal(stream.text, '', 'the summary follows: no line of its own at the end');
});

test('epoch reports: loss and accuracy when read, time always', () => {
  assert.equal(formatEpoch({ epoch: 2, epochs: 5, loss: 0.5, accuracy: 0.75, seconds: 1.25 }), 'epoch 2/5 loss 0.500 acc 0.750 (1.3 s)');
  assert.equal(formatEpoch({ epoch: 2, epochs: 5, loss: null, accuracy: null, seconds: 1 }), 'epoch 2/5 (1.0 s)');
});

test('missing trials as ranges', () => {
  assert.equal(formatRanges([0, 1, 2, 5, 7, 8]), '0-2, 5, 7-8');
  assert.equal(formatRanges([]), '');
});
