// The trial file (format "trial/2"; "trial/1" files of older runs are still read): one Arrow record batch
// with one row per trial, masks bit-packed as FixedSizeList<Bool> (a CIFAR-100 trial is about 14 KB). Its
// schema metadata names the data it was trained on and a sha256 of its values. See README, "File formats".
import { Bool, Field, FixedSizeList, Float32, Float64, Int32, RecordBatch, Schema, Struct, Table, Uint32, makeData, tableToIPC, type Data, type DataType } from './arrow.js';
import { UsageError } from '../errors.js';
import { parseArrowFile } from './tables.js';
import { TRIAL_REMEDY, checkSubsetSize, checkValues, payloadChecksum, type BitView, type StoredTrial, type TrialLayout, type TrialMetadata, type TrialSizes } from './trial-values.js';

export { TRIAL_REMEDY, decodeTrialAs, type BitView, type StoredTrial, type StoredTrialMetadata, type TrialLayout, type TrialMetadata, type TrialSizes } from './trial-values.js';

export const TRIAL_FORMAT = 'trial/2';
/** Older formats still read: trial/1 has no data fingerprint and no checksum. */
const READABLE_FORMATS = [TRIAL_FORMAT, 'trial/1'];

/** What one finished trial produced; masks hold one 0/1 byte per example. */
export interface TrialRecord {
  trial: number; // k
  seed: number; // trial seed (uint32), from (run seed, k)
  subset: Uint8Array; // [n] 1 where i is in I_k
  trainCorrect: Uint8Array; // [n] 1 where h_k(x_i) = y_i
  testCorrect: Uint8Array; // [n'] 1 where h_k(x'_j) = y'_j
  trainMargin?: Float32Array; // [n] correct-class logit minus the best other logit
  testMargin?: Float32Array; // [n']
  trainAccuracy: number;
  testAccuracy: number;
  seconds: number; // wall time of the trial
}

/** The metadata the run's writer adds (src/store/run-dir.ts, writeTrial): the data set's fingerprint. */
export interface TrialProvenance extends TrialMetadata {
  dataFingerprint: string;
}


/** Packs a 0/1 byte mask LSB-first, 8 examples per byte. */
export function packBits(mask: Uint8Array): Uint8Array {
  const packed = new Uint8Array(Math.ceil(mask.length / 8));
  for (let i = 0; i < mask.length; i++) if (mask[i]) packed[i >> 3]! |= 1 << (i & 7);
  return packed;
}


/** A one-row column of its own, with its type. */
type OneRow = { type: DataType; data: Data };
const int32Row = (value: number): OneRow => ({ type: new Int32(), data: makeData({ type: new Int32(), length: 1, nullCount: 0, data: Int32Array.of(value) }) });
const uint32Row = (value: number): OneRow => ({ type: new Uint32(), data: makeData({ type: new Uint32(), length: 1, nullCount: 0, data: Uint32Array.of(value) }) });
const float64Row = (value: number): OneRow => ({ type: new Float64(), data: makeData({ type: new Float64(), length: 1, nullCount: 0, data: Float64Array.of(value) }) });

function boolListData(mask: Uint8Array): OneRow {
  const type = new FixedSizeList(mask.length, new Field('item', new Bool(), false));
  const child = makeData({ type: new Bool(), length: mask.length, nullCount: 0, data: packBits(mask) });
  return { type, data: makeData({ type, length: 1, nullCount: 0, child }) };
}

function floatListData(values: Float32Array): OneRow {
  const type = new FixedSizeList(values.length, new Field('item', new Float32(), false));
  const child = makeData({ type: new Float32(), length: values.length, nullCount: 0, data: values });
  return { type, data: makeData({ type, length: 1, nullCount: 0, child }) };
}

/** Serializes a trial as an Arrow IPC file, with the checksum of its values in the schema metadata. */
export function encodeTrial(record: TrialRecord, metadata: TrialProvenance): Uint8Array {
  const columns: [string, OneRow][] = [
    ['trial', int32Row(record.trial)],
    ['seed', uint32Row(record.seed)],
    ['subset', boolListData(record.subset)],
    ['train_correct', boolListData(record.trainCorrect)],
    ['test_correct', boolListData(record.testCorrect)],
  ];
  if (record.trainMargin) columns.push(['train_margin', floatListData(record.trainMargin)]);
  if (record.testMargin) columns.push(['test_margin', floatListData(record.testMargin)]);
  columns.push(['train_accuracy', float64Row(record.trainAccuracy)], ['test_accuracy', float64Row(record.testAccuracy)], ['seconds', float64Row(record.seconds)]);
  const fields = columns.map(([name, column]) => new Field(name, column.type, false));
  const schema = new Schema(
    fields,
    new Map([
      ['memorize.format', TRIAL_FORMAT],
      ['memorize.config_hash', metadata.configHash],
      ['memorize.dataset', metadata.dataset],
      ['memorize.backend', metadata.backend],
      ['memorize.data_fingerprint', metadata.dataFingerprint],
      ['memorize.payload_sha256', payloadChecksum({
        trial: record.trial,
        seed: record.seed,
        masks: [record.subset, record.trainCorrect, record.testCorrect].map(packBits),
        margins: [record.trainMargin, record.testMargin].filter((m) => m !== undefined),
        scalars: [record.trainAccuracy, record.testAccuracy, record.seconds],
      })],
    ]),
  );
  const struct = makeData({ type: new Struct(fields), length: 1, nullCount: 0, children: columns.map(([, c]) => c.data) });
  return tableToIPC(new Table([new RecordBatch(schema, struct)]), 'file');
}

function bitColumn(table: Table, name: string, expectedLength: number, path: string, remedy: string): BitView {
  const vector = table.getChild(name);
  const data = vector?.data[0];
  const type = data?.type as DataType | undefined;
  const child = data?.children[0];
  if (!data || !child || !(type instanceof FixedSizeList) || !(child.type instanceof Bool)) {
    throw new UsageError(`${path} has no FixedSizeList<Bool> column "${name}"; ${remedy}`);
  }
  if (type.listSize !== expectedLength) {
    throw new UsageError(`${path}: column "${name}" has ${type.listSize} entries, the run has ${expectedLength}; ${remedy}`);
  }
  return { bytes: child.values as Uint8Array, bitOffset: child.offset + data.offset * type.listSize, length: expectedLength };
}

/** An optional FixedSizeList<Float32> column (margins), as a view of its values. */
function floatColumn(table: Table, name: string, expectedLength: number, path: string, remedy: string): Float32Array | undefined {
  const data = table.getChild(name)?.data[0];
  if (!data) return undefined;
  const type = data.type as DataType;
  const child = data.children[0];
  if (!(type instanceof FixedSizeList) || !(child?.values instanceof Float32Array) || type.listSize !== expectedLength) {
    throw new UsageError(`${path}: column "${name}" is not ${expectedLength} Float32 values; ${remedy}`);
  }
  const start = child.offset + data.offset * expectedLength;
  return child.values.subarray(start, start + expectedLength);
}

/** A one-row numeric column; integers of any width (pyarrow's int64 included) read as numbers. */
function scalar(table: Table, name: string, path: string, remedy: string): number {
  const value: unknown = table.getChild(name)?.get(0);
  if (typeof value === 'bigint' && value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= -BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
  if (typeof value !== 'number') throw new UsageError(`${path} has no numeric column "${name}"; ${remedy}`);
  return value;
}

function margins(table: Table, sizes: { n: number; nTest: number }, path: string, remedy: string): Pick<StoredTrial, 'trainMargin' | 'testMargin'> {
  const train = floatColumn(table, 'train_margin', sizes.n, path, remedy);
  const test = floatColumn(table, 'test_margin', sizes.nTest, path, remedy);
  return { ...(train && { trainMargin: train }), ...(test && { testMargin: test }) };
}

/** Parses and validates a trial file against the run's sizes and its own checksum; every problem is a
 * one-line UsageError naming the file. */
export function decodeTrial(bytes: Uint8Array, path: string, sizes: TrialSizes): StoredTrial {
  const remedy = TRIAL_REMEDY;
  const table = parseArrowFile(bytes, path, remedy);
  const meta = table.schema.metadata;
  const format = meta.get('memorize.format');
  if (format === undefined || !READABLE_FORMATS.includes(format)) {
    throw new UsageError(`${path} is not a ${TRIAL_FORMAT} trial file (format ${JSON.stringify(format ?? null)}); ${remedy}`);
  }
  if (table.numRows !== 1) throw new UsageError(`${path} has ${table.numRows} rows, a trial file has 1; ${remedy}`);
  const stored: StoredTrial = {
    trial: scalar(table, 'trial', path, remedy),
    seed: scalar(table, 'seed', path, remedy),
    subset: bitColumn(table, 'subset', sizes.n, path, remedy),
    trainCorrect: bitColumn(table, 'train_correct', sizes.n, path, remedy),
    testCorrect: bitColumn(table, 'test_correct', sizes.nTest, path, remedy),
    ...margins(table, sizes, path, remedy),
    trainAccuracy: scalar(table, 'train_accuracy', path, remedy),
    testAccuracy: scalar(table, 'test_accuracy', path, remedy),
    seconds: scalar(table, 'seconds', path, remedy),
    metadata: {
      format,
      configHash: meta.get('memorize.config_hash') ?? '',
      dataset: meta.get('memorize.dataset') ?? '',
      backend: meta.get('memorize.backend') ?? '',
      ...(meta.has('memorize.data_fingerprint') && { dataFingerprint: meta.get('memorize.data_fingerprint')! }),
    },
  };
  if (format !== 'trial/1') checkValues(stored, meta.get('memorize.payload_sha256'), path);
  checkSubsetSize(stored, sizes, path);
  return stored;
}

/** The byte offset of `view` inside `bytes`, when it is a view of them (not a copy) at a whole byte. */
function offsetIn(bytes: Uint8Array, view: ArrayBufferView | undefined, bitOffset = 0): number | undefined {
  if (!view || view.buffer !== bytes.buffer || bitOffset % 8 !== 0) return undefined;
  return view.byteOffset - bytes.byteOffset + bitOffset / 8;
}

/** The layout of `stored` (decodeTrial of `bytes`), or undefined where the values are not all views of the
 * file's bytes or the file has no checksum (trial/1): such a run's files are decoded in full. */
export function trialLayout(bytes: Uint8Array, stored: StoredTrial): TrialLayout | undefined {
  if (stored.metadata.format === 'trial/1') return undefined;
  const table = parseArrowFile(bytes, 'trial layout', TRIAL_REMEDY);
  const scalarOffset = (name: string): number | undefined => offsetIn(bytes, table.getChild(name)?.data[0]?.values as ArrayBufferView | undefined, 0);
  const masks = [stored.subset, stored.trainCorrect, stored.testCorrect].map((v) => offsetIn(bytes, v.bytes, v.bitOffset));
  const margins = [stored.trainMargin, stored.testMargin].map((m) => (m ? offsetIn(bytes, m) ?? -1 : undefined));
  const scalars = ['trial', 'seed', 'train_accuracy', 'test_accuracy', 'seconds'].map(scalarOffset);
  if (masks.includes(undefined) || margins.includes(-1) || scalars.includes(undefined)) return undefined;
  // The scalars as decodeTrialAs reads them (int32, uint32, float64s) must give the values decoded here.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const [trial, seed, trainAccuracy, testAccuracy, seconds] = scalars as number[];
  if (view.getInt32(trial!, true) !== stored.trial || view.getUint32(seed!, true) !== stored.seed) return undefined;
  if (!Object.is(view.getFloat64(trainAccuracy!, true), stored.trainAccuracy) || !Object.is(view.getFloat64(testAccuracy!, true), stored.testAccuracy) || !Object.is(view.getFloat64(seconds!, true), stored.seconds)) return undefined;
  const text = Buffer.from(table.schema.metadata.get('memorize.payload_sha256') ?? '', 'latin1');
  if (text.length !== 64) return undefined;
  const file = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const checksumText: number[] = [];
  for (let at = file.indexOf(text); at >= 0; at = file.indexOf(text, at + 1)) checksumText.push(at);
  const ranges: [number, number][] = [
    ...masks.map((at, k): [number, number] => [at!, at! + Math.ceil((k === 2 ? stored.testCorrect : stored.subset).length / 8)]),
    ...margins.flatMap((at, k): [number, number][] => (at === undefined ? [] : [[at, at + 4 * (k === 0 ? stored.trainMargin! : stored.testMargin!).length]])),
    ...scalars.map((at, k): [number, number] => [at!, at! + (k < 2 ? 4 : 8)]),
    ...checksumText.map((at): [number, number] => [at, at + 64]),
  ].sort((a, b) => a[0] - b[0]);
  const variable: [number, number][] = [];
  for (const [start, end] of ranges) {
    const last = variable[variable.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else variable.push([start, end]);
  }
  return { template: new Uint8Array(bytes), metadata: stored.metadata, masks: masks as TrialLayout['masks'], margins: margins as TrialLayout['margins'], scalars: scalars as TrialLayout['scalars'], checksumText, variable };
}
