// trial/2 files (and trial/1 of older runs): round trip through Arrow, and one-line errors for foreign,
// corrupt or damaged files.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecordBatch, Schema, Table, tableFromIPC, tableToIPC } from 'apache-arrow';
import { UsageError } from '../../src/errors.js';
import { decodeTrial, decodeTrialAs, encodeTrial, trialLayout, type BitView, type TrialRecord } from '../../src/store/trial-file.js';
import { randomMask, seeded } from '../helpers.js';

const unpack = (view: BitView): Uint8Array =>
  Uint8Array.from({ length: view.length }, (_, i) => (view.bytes[(view.bitOffset + i) >> 3]! >> ((view.bitOffset + i) & 7)) & 1);

function record(n: number, nTest: number): TrialRecord {
  const random = seeded('trial-file');
  return {
    trial: 42,
    seed: 4_000_000_000,
    subset: randomMask(n, 0.7, random),
    trainCorrect: randomMask(n, 0.9, random),
    testCorrect: randomMask(nTest, 0.6, random),
    trainAccuracy: 0.9,
    testAccuracy: 0.6,
    seconds: 1.5,
  };
}
const metadata = { configHash: 'abc123', dataset: 'synthetic-longtail', backend: 'wasm', dataFingerprint: 'f00d' };

test('a trial round-trips bit for bit, for sizes that are not multiples of 8', () => {
  const original = record(13, 7);
  const stored = decodeTrial(encodeTrial(original, metadata), 'trial-000042.arrow', { n: 13, nTest: 7 });
  assert.equal(stored.trial, 42);
  assert.equal(stored.seed, 4_000_000_000);
  assert.deepEqual(unpack(stored.subset), original.subset);
  assert.deepEqual(unpack(stored.trainCorrect), original.trainCorrect);
  assert.deepEqual(unpack(stored.testCorrect), original.testCorrect);
  assert.deepEqual(stored.metadata, { ...metadata, format: 'trial/2' });
  assert.equal(stored.testAccuracy, 0.6);
});

test('the file is standard Arrow: schema metadata, one row, FixedSizeList<Bool> masks, optional margins', () => {
  const withMargins = { ...record(10, 4), trainMargin: new Float32Array(10).fill(0.5), testMargin: Float32Array.of(1, -2, 3, -4) };
  const table = tableFromIPC(encodeTrial(withMargins, metadata));
  assert.equal(table.numRows, 1);
  assert.equal(table.schema.metadata.get('memorize.format'), 'trial/2');
  assert.equal(table.schema.metadata.get('memorize.data_fingerprint'), 'f00d');
  assert.match(table.schema.metadata.get('memorize.payload_sha256') ?? '', /^[0-9a-f]{64}$/);
  assert.equal(table.schema.metadata.get('memorize.backend'), 'wasm');
  assert.deepEqual(table.schema.fields.map((f) => f.name), ['trial', 'seed', 'subset', 'train_correct', 'test_correct', 'train_margin', 'test_margin', 'train_accuracy', 'test_accuracy', 'seconds']);
  assert.equal(String(table.schema.fields[2]!.type), 'FixedSizeList[10]<Bool>');
  assert.deepEqual([...(table.getChild('test_margin')!.get(0) as Iterable<number>)], [1, -2, 3, -4]);
});

test('a CIFAR-size trial file stays small (bit-packed)', () => {
  const bytes = encodeTrial(record(50_000, 10_000), metadata);
  assert.ok(bytes.length < 16_000, `${bytes.length} bytes`);
});

const bad: [string, Uint8Array, RegExp][] = [
  ['not Arrow at all', new TextEncoder().encode('hello, I am a text file that landed in trials/'), /is not an Arrow IPC file/],
  ['truncated Arrow', encodeTrial(record(13, 7), metadata).subarray(0, 200), /is not an Arrow IPC file/],
  ['wrong sizes', encodeTrial(record(12, 7), metadata), /has 12 entries, the run has 13/],
];
for (const [name, bytes, message] of bad) {
  test(`a ${name} file gives one UsageError line naming it`, () => {
    assert.throws(() => decodeTrial(bytes, '/runs/x/trials/trial-000042.arrow', { n: 13, nTest: 7 }), (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.match(error.message, message);
      assert.match(error.message, /trial-000042\.arrow/);
      assert.ok(!error.message.includes('\n'));
      return true;
    });
  });
}

test('margins round-trip when recorded and are absent otherwise', () => {
  const plain = decodeTrial(encodeTrial(record(10, 4), metadata), 't.arrow', { n: 10, nTest: 4 });
  assert.equal(plain.trainMargin, undefined);
  assert.equal(plain.testMargin, undefined);
  const trainMargin = Float32Array.from({ length: 10 }, (_, i) => i - 4.5);
  const testMargin = Float32Array.of(1, -2, 3, -4);
  const stored = decodeTrial(encodeTrial({ ...record(10, 4), trainMargin, testMargin }, metadata), 't.arrow', { n: 10, nTest: 4 });
  assert.deepEqual(stored.trainMargin, trainMargin);
  assert.deepEqual(stored.testMargin, testMargin);
});

/** The bytes of a file with one bit of its subset mask flipped (the mask's buffer located through the decoder's view). */
function flipSubsetBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  const view = decodeTrial(copy, 't.arrow', { n: 13, nTest: 7 }).subset;
  const at = view.bytes.byteOffset - copy.byteOffset + ((view.bitOffset + bit) >> 3);
  copy[at]! ^= 1 << ((view.bitOffset + bit) & 7);
  return copy;
}

test('a flipped bit inside the values is caught by the checksum, and a subset of the wrong size by m', () => {
  const original = record(13, 7);
  const members = original.subset.reduce((a, b) => a + b, 0);
  const bytes = encodeTrial(original, metadata);
  assert.equal(decodeTrial(bytes, 't.arrow', { n: 13, nTest: 7, m: members }).trial, 42);
  assert.throws(() => decodeTrial(flipSubsetBit(bytes, 3), '/r/trials/trial-000042.arrow', { n: 13, nTest: 7 }), /trial-000042\.arrow is damaged: its values do not match the checksum/);
  assert.throws(() => decodeTrial(bytes, '/r/trials/trial-000042.arrow', { n: 13, nTest: 7, m: members + 1 }), new RegExp(`has a subset of ${members} examples, the run's subsets have m = ${members + 1}`));
});

test('trial/1 files of older runs are still read (no checksum or fingerprint), and their subset size is checked', () => {
  const original = record(13, 7);
  const members = original.subset.reduce((a, b) => a + b, 0);
  const table = tableFromIPC(encodeTrial(original, metadata));
  const old = new Map([['memorize.format', 'trial/1'], ['memorize.config_hash', 'abc123'], ['memorize.dataset', 'synthetic-longtail'], ['memorize.backend', 'wasm']]);
  const schema = new Schema(table.schema.fields, old);
  const bytes = tableToIPC(new Table(table.batches.map((b) => new RecordBatch(schema, b.data))), 'file');
  const stored = decodeTrial(bytes, 't.arrow', { n: 13, nTest: 7, m: members });
  assert.deepEqual(unpack(stored.subset), original.subset);
  assert.deepEqual(stored.metadata, { format: 'trial/1', configHash: 'abc123', dataset: 'synthetic-longtail', backend: 'wasm' });
  assert.throws(() => decodeTrial(flipSubsetBit(bytes, 3), 't.arrow', { n: 13, nTest: 7, m: members }), /has a subset of \d+ examples, the run's subsets have m/);
});

test('files read in place at the layout of another file of the run equal a full decode; any other difference falls back', () => {
  const sizes = { n: 1000, nTest: 300 };
  const random = seeded('layout');
  const trial = (k: number, margins: boolean, backend = 'wasm'): Uint8Array => {
    const subset = new Uint8Array(sizes.n);
    for (let i = 0; i < 700; i++) subset[(i * 7 + k) % sizes.n] = 1; // m = 700 (7 is prime to 1000)
    const r: TrialRecord = { trial: k, seed: 1000 + k, subset, trainCorrect: randomMask(sizes.n, 0.9, random), testCorrect: randomMask(sizes.nTest, 0.6, random), trainAccuracy: random(), testAccuracy: random(), seconds: random() * 100 };
    if (margins) Object.assign(r, { trainMargin: Float32Array.from({ length: sizes.n }, () => random() - 0.5), testMargin: Float32Array.from({ length: sizes.nTest }, () => random() - 0.5) });
    return encodeTrial(r, { ...metadata, backend });
  };
  const withM = { ...sizes, m: 700 };
  for (const margins of [false, true]) {
    const first = trial(0, margins);
    const layout = trialLayout(first, decodeTrial(first, 'trial-000000.arrow', withM));
    assert.ok(layout, 'a trial/2 file gives a layout');
    for (const k of [1, 2, 77]) {
      const bytes = trial(k, margins);
      const fast = decodeTrialAs(layout, bytes, `trial-${k}.arrow`, withM);
      assert.ok(fast, `trial ${k} has the layout`);
      const full = decodeTrial(bytes, `trial-${k}.arrow`, withM);
      assert.deepEqual({ ...fast, subset: unpack(fast.subset), trainCorrect: unpack(fast.trainCorrect), testCorrect: unpack(fast.testCorrect) }, { ...full, subset: unpack(full.subset), trainCorrect: unpack(full.trainCorrect), testCorrect: unpack(full.testCorrect) });
    }
    // A flipped value bit is read in place and refused by the checksum; a wrong m by the subset size.
    const other = trial(5, margins);
    const flipped = Uint8Array.from(other);
    flipped[layout.masks[0]]! ^= 1 << 3;
    assert.throws(() => decodeTrialAs(layout, flipped, '/r/trials/trial-000005.arrow', withM), /trial-000005\.arrow is damaged: its values do not match the checksum/);
    assert.throws(() => decodeTrialAs(layout, other, 't.arrow', { ...sizes, m: 701 }), /has a subset of 700 examples, the run's subsets have m = 701/);
    // Another backend name (metadata outside the values), other columns: not this layout.
    assert.equal(decodeTrialAs(layout, trial(6, margins, 'wasx'), 't.arrow', withM), undefined);
    assert.equal(decodeTrialAs(layout, trial(6, margins, 'webgpu (a GPU)'), 't.arrow', withM), undefined);
    assert.equal(decodeTrialAs(layout, trial(6, !margins), 't.arrow', withM), undefined);
    // The checksum's text is read in place too: changed, the values no longer match it.
    const otherChecksum = Uint8Array.from(other);
    const at = layout.checksumText[0]!;
    otherChecksum[at] = otherChecksum[at] === 0x30 ? 0x31 : 0x30;
    assert.throws(() => decodeTrialAs(layout, otherChecksum, 't.arrow', withM), /is damaged: its values do not match the checksum/);
  }
});
