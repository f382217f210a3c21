// numpy's .npy (format 1.0-3.0) and .npz (a zip of .npy files, through fflate) for files other programs read
// and write: the external trainer's data and predictions, `export --format npz` and `import`. Integer arrays
// of any width are read; values that do not fit the caller's type are refused with one line.
import { readFile } from 'node:fs/promises';
import { unzipSync, zipSync } from 'fflate';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

/** The typed arrays numpy dtypes are read into and written from. */
export type NpyData = Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array | Float32Array | Float64Array;

export interface NpyArray {
  dtype: string; // numpy's descr, e.g. "<i8", "|b1"
  shape: number[];
  data: NpyData;
}

/** Little-endian (or single-byte) dtypes and their typed-array constructors. `|b1` (bool) reads as bytes. */
const DTYPES: Record<string, { bytes: number; make: (buffer: ArrayBuffer, offset: number, length: number) => NpyData }> = {
  '|b1': { bytes: 1, make: (b, o, n) => new Uint8Array(b, o, n) },
  '|u1': { bytes: 1, make: (b, o, n) => new Uint8Array(b, o, n) },
  '|i1': { bytes: 1, make: (b, o, n) => new Int8Array(b, o, n) },
  '<i2': { bytes: 2, make: (b, o, n) => new Int16Array(b, o, n) },
  '<u2': { bytes: 2, make: (b, o, n) => new Uint16Array(b, o, n) },
  '<i4': { bytes: 4, make: (b, o, n) => new Int32Array(b, o, n) },
  '<u4': { bytes: 4, make: (b, o, n) => new Uint32Array(b, o, n) },
  '<i8': { bytes: 8, make: (b, o, n) => new BigInt64Array(b, o, n) },
  '<u8': { bytes: 8, make: (b, o, n) => new BigUint64Array(b, o, n) },
  '<f4': { bytes: 4, make: (b, o, n) => new Float32Array(b, o, n) },
  '<f8': { bytes: 8, make: (b, o, n) => new Float64Array(b, o, n) },
};

const descrOf = (data: NpyData, bool: boolean): string => {
  if (data instanceof Uint8Array) return bool ? '|b1' : '|u1';
  if (data instanceof Int8Array) return '|i1';
  if (data instanceof Int16Array) return '<i2';
  if (data instanceof Uint16Array) return '<u2';
  if (data instanceof Int32Array) return '<i4';
  if (data instanceof Uint32Array) return '<u4';
  if (data instanceof BigInt64Array) return '<i8';
  if (data instanceof BigUint64Array) return '<u8';
  if (data instanceof Float32Array) return '<f4';
  return '<f8';
};

/** Parses .npy bytes; `name` labels errors. */
export function parseNpy(bytes: Uint8Array, name: string): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new UsageError(`${name} is not a .npy file (no \\x93NUMPY magic); write it with numpy.save`);
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const header = Buffer.from(bytes.subarray(headerStart, headerStart + headerLength)).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new UsageError(`${name} has an unreadable .npy header: ${header.trim()}`);
  const dtype = DTYPES[descr];
  if (!dtype) throw new UsageError(`${name} has dtype ${descr}; expected bool, a little-endian integer or float32/float64 array`);
  if (fortran === 'True') throw new UsageError(`${name} is in Fortran order; save a C-ordered array (numpy.ascontiguousarray)`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  const length = shape.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLength;
  if (bytes.length - dataStart < length * dtype.bytes) throw new UsageError(`${name} is truncated: shape (${shape.join(', ')}) needs ${length * dtype.bytes} bytes of data, the file has ${bytes.length - dataStart}`);
  const copy = new Uint8Array(bytes.subarray(dataStart, dataStart + length * dtype.bytes)); // a copy: aligned for any element size
  return { dtype: descr, shape, data: dtype.make(copy.buffer, 0, length) };
}

/** Encodes an array as .npy (format 1.0); `bool` writes a 0/1 Uint8Array as numpy bool. */
export function encodeNpy(data: NpyData, shape: readonly number[], bool = false): Uint8Array {
  const shapeText = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '${descrOf(data, bool)}', 'fortran_order': False, 'shape': (${shapeText}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n'; // the data starts 64-byte aligned
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(MAGIC);
  out[6] = 1;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(Buffer.from(header, 'latin1'), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

/** Reads a .npy file from disk; a missing file is a one-line error. */
export async function readNpyFile(path: string): Promise<NpyArray> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch {
    throw new UsageError(`cannot read ${path}`);
  }
  return parseNpy(bytes, path);
}

export async function writeNpyFile(path: string, data: NpyData, shape: readonly number[], bool = false): Promise<void> {
  await writeFileAtomic(path, encodeNpy(data, shape, bool));
}

/** The arrays of an .npz (numpy.savez or savez_compressed) by name, without the ".npy" suffix. */
export async function readNpzFile(path: string): Promise<Map<string, NpyArray>> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch {
    throw new UsageError(`cannot read ${path}`);
  }
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (error) {
    throw new UsageError(`${path} is not an .npz (zip) file (${(error as Error).message}); write it with numpy.savez`);
  }
  const arrays = new Map<string, NpyArray>();
  for (const [name, entry] of Object.entries(entries)) arrays.set(name.replace(/\.npy$/, ''), parseNpy(entry, `${path}:${name}`));
  return arrays;
}

/** An array to put into an .npz. */
export interface NpzEntry {
  data: NpyData;
  shape: readonly number[];
  bool?: boolean;
}

/** Writes an uncompressed .npz (what numpy.savez writes), atomically. */
export async function writeNpzFile(path: string, arrays: Record<string, NpzEntry>): Promise<void> {
  const files = Object.fromEntries(Object.entries(arrays).map(([name, a]) => [`${name}.npy`, encodeNpy(a.data, a.shape, a.bool)]));
  await writeFileAtomic(path, zipSync(files, { level: 0 }));
}

/** An integer array of any width as Int32Array; refuses floats and values outside int32. */
export function toInt32(array: NpyArray, name: string): Int32Array {
  const { data } = array;
  if (data instanceof Float32Array || data instanceof Float64Array) throw new UsageError(`${name} has dtype ${array.dtype}; expected an integer array (any width)`);
  if (data instanceof Int32Array) return data;
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const value = Number(data[i]!);
    if (value < -(2 ** 31) || value >= 2 ** 31) throw new UsageError(`${name} holds ${value} at position ${i}, outside the int32 range`);
    out[i] = value;
  }
  return out;
}

/** A 0/1 array (bool or any integer width) as one byte per element; other values are refused. */
export function toMask(array: NpyArray, name: string): Uint8Array {
  const { data } = array;
  if (data instanceof Float32Array || data instanceof Float64Array) throw new UsageError(`${name} has dtype ${array.dtype}; expected bool or 0/1 integers`);
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const value = Number(data[i]!);
    if (value !== 0 && value !== 1) throw new UsageError(`${name} holds ${value} at position ${i}; expected bool or 0/1 integers`);
    out[i] = value;
  }
  return out;
}

/** Refuses an array whose shape is not `expected`, naming both. */
export function checkShape(array: NpyArray, expected: readonly number[], name: string): void {
  if (array.shape.length !== expected.length || array.shape.some((d, i) => d !== expected[i])) {
    throw new UsageError(`${name} has shape (${array.shape.join(', ')}), expected (${expected.join(', ')})`);
  }
}
