import { Tensor } from 'onnxruntime-node';
import { InputFileError } from '../tabular/errors';
import { describeRow, type TableChunk } from '../tabular/table';
import type { InputBinding } from './inputMapping';

type Converted = number | bigint | string;
/** Converts one cell, or says why it cannot ("... is not a number"). */
type Convert = (cell: unknown) => Converted | { problem: string };

interface ElementKind {
  convert: Convert;
  allocate(size: number): Float32Array | Float64Array | Int32Array | BigInt64Array | string[];
}

const NON_DECIMAL_PREFIX = /^0[xXoObB]/;
const INTEGER = /^[+-]?\d+$/;
// What pandas reads as special floats; anything else non-decimal is an error, not NaN.
const SPECIAL_FLOATS: Record<string, number> = { nan: NaN, inf: Infinity, '+inf': Infinity, '-inf': -Infinity, infinity: Infinity, '+infinity': Infinity, '-infinity': -Infinity };

function toFloat(cell: unknown): number | { problem: string } {
  if (typeof cell === 'number') return cell;
  if (typeof cell === 'bigint') return Number(cell);
  if (typeof cell === 'string') {
    // trim() only when an end is not plain ASCII (it allocates; this runs once per cell).
    const first = cell.charCodeAt(0);
    const last = cell.charCodeAt(cell.length - 1);
    const s = first > 32 && first < 127 && last > 32 && last < 127 ? cell : cell.trim();
    if (s === '') return { problem: 'empty value' };
    // Number() of a trimmed, non-empty string accepts exactly: decimals ([+-], digits, a point, an
    // exponent), 'Infinity' with an optional sign (a special float below too), and unsigned
    // 0x/0o/0b literals, refused here. Cheaper than a regex test first (this runs once per cell).
    const value = Number(s);
    if (value === value && !(s.charCodeAt(0) === 48 && NON_DECIMAL_PREFIX.test(s))) return value;
    const special = SPECIAL_FLOATS[s.toLowerCase()];
    if (special !== undefined) return special;
  }
  return { problem: `${show(cell)} is not a number` };
}

function toInteger(min: bigint, max: bigint): (cell: unknown) => bigint | { problem: string } {
  return (cell) => {
    let value: bigint | undefined;
    if (typeof cell === 'bigint') value = cell;
    else if (typeof cell === 'number' && Number.isInteger(cell)) value = BigInt(cell);
    else if (typeof cell === 'string' && cell.trim() === '') return { problem: 'empty value' };
    else if (typeof cell === 'string' && INTEGER.test(cell.trim())) value = BigInt(cell.trim());
    if (value === undefined) return { problem: `${show(cell)} is not an integer` };
    if (value < min || value > max) return { problem: `${show(cell)} is out of range for the model's integer type` };
    return value;
  };
}

function toText(cell: unknown): string | { problem: string } {
  if (typeof cell === 'string') return cell;
  if (typeof cell === 'number' || typeof cell === 'bigint' || typeof cell === 'boolean') return String(cell);
  return { problem: `${show(cell)} is not a text value` };
}

const int32 = toInteger(-(2n ** 31n), 2n ** 31n - 1n);
const KINDS: Record<string, ElementKind> = {
  float32: { convert: toFloat, allocate: (n) => new Float32Array(n) },
  float64: { convert: toFloat, allocate: (n) => new Float64Array(n) },
  int32: { convert: (c) => { const v = int32(c); return typeof v === 'bigint' ? Number(v) : v; }, allocate: (n) => new Int32Array(n) },
  int64: { convert: toInteger(-(2n ** 63n), 2n ** 63n - 1n), allocate: (n) => new BigInt64Array(n) },
  string: { convert: toText, allocate: (n) => new Array<string>(n) },
};

/** The model input element types tables can feed. */
export const SUPPORTED_INPUT_TYPES: readonly string[] = Object.keys(KINDS);

/**
 * Builds the ONNX Runtime feeds for one chunk. A bad cell fails the whole file with the row,
 * line, column and value, rather than guessing (a silent NaN would give a silent bad prediction).
 */
export function buildFeeds(bindings: readonly InputBinding[], chunk: TableChunk, file: string): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  // Report the first bad row of the chunk, whichever input it feeds.
  let firstBad: { row: number; message: string } | undefined;
  const n = chunk.rowCount;
  for (const { input, columns } of bindings) {
    const kind = KINDS[input.type];
    if (!kind) {
      throw new InputFileError(file, `model input '${input.name}' has type ${input.type}; the no-code scorer feeds ${SUPPORTED_INPUT_TYPES.join(', ')}`);
    }
    const k = columns.length;
    const sources = columns.map((c) => chunk.columns.get(c));
    const data = kind.allocate(n * k);
    rows: for (let i = 0; i < n && i < (firstBad?.row ?? n); i++) {
      for (let j = 0; j < k; j++) {
        const cell = sources[j]?.[i];
        const v = cell === undefined || cell === null ? { problem: 'missing value' } : kind.convert(cell);
        if (typeof v === 'object') {
          firstBad = { row: i, message: `${describeRow(chunk, i)}, column '${columns[j]}': ${v.problem}` };
          break rows;
        }
        (data as Converted[])[i * k + j] = v;
      }
    }
    const dims = input.shape.length === 1 ? [n] : [n, k];
    feeds[input.name] = new Tensor(input.type as 'float32', data as Float32Array, dims);
  }
  if (firstBad) throw new InputFileError(file, firstBad.message);
  return feeds;
}

function show(cell: unknown): string {
  if (typeof cell === 'string') return `'${cell.length > 40 ? `${cell.slice(0, 40)}...` : cell}'`;
  if (typeof cell === 'bigint') return `${cell}`;
  if (cell instanceof Date) return `date ${cell.toISOString()}`;
  if (typeof cell === 'object') {
    try {
      return `value ${JSON.stringify(cell).slice(0, 40)}`;
    } catch {
      return 'a nested value';
    }
  }
  return `${typeof cell} ${String(cell)}`;
}
