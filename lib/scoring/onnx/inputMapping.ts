import { InputFileError } from '../tabular/errors';
import type { ModelInput, SignatureColumn } from './model';

/** Which file columns feed which model input: one column, or several concatenated into [N, k]. */
export interface InputBinding {
  input: ModelInput;
  columns: string[];
}

export interface MappableModel {
  inputs: readonly ModelInput[];
  signatureColumns?: readonly SignatureColumn[];
}

/**
 * Columns the scorer must read, when known before seeing the file: the input names of a
 * one-input-per-column model, or the signature's columns. Undefined means "all columns".
 */
export function requiredColumns(model: MappableModel): string[] | undefined {
  if (model.inputs.length > 1) return model.inputs.map((i) => i.name);
  return model.signatureColumns?.map((c) => c.name);
}

/**
 * Maps a file's columns to the model's inputs, in this order of preference:
 * 1. several inputs: one input per column, matched by name;
 * 2. one input and a column-based MLflow signature: the signature's columns, in signature order,
 *    concatenated into one [N, k] tensor;
 * 3. one input named like a file column, taking one value per row: that column;
 * 4. otherwise all of the file's columns, in file order.
 * Missing columns and width mismatches are InputFileErrors naming the column and the file.
 */
export function planInputs(model: MappableModel, fileColumns: readonly string[], file: string): InputBinding[] {
  const bindings = bind(model, fileColumns);
  const present = new Set(fileColumns);
  for (const { input, columns } of bindings) {
    const missing = columns.filter((c) => !present.has(c));
    if (missing.length > 0) {
      const names = missing.map((c) => `'${c}'`).join(', ');
      throw new InputFileError(file, `missing column${missing.length > 1 ? 's' : ''} ${names} needed by model input '${input.name}' (the file has: ${fileColumns.join(', ') || 'no columns'})`);
    }
    const width = featureWidth(input);
    if (width === undefined) {
      throw new InputFileError(file, `model input '${input.name}' has shape [${input.shape.join(', ')}]; tables can feed only [N] or [N, k] inputs`);
    }
    if (width !== 'any' && width !== columns.length) {
      throw new InputFileError(file, `model input '${input.name}' takes ${width} value(s) per row but ${columns.length} column(s) map to it (${columns.join(', ')})`);
    }
  }
  return bindings;
}

function bind(model: MappableModel, fileColumns: readonly string[]): InputBinding[] {
  if (model.inputs.length > 1) return model.inputs.map((input) => ({ input, columns: [input.name] }));
  const input = model.inputs[0];
  if (!input) throw new Error('the ONNX model has no inputs');
  if (model.signatureColumns) return [{ input, columns: model.signatureColumns.map((c) => c.name) }];
  const width = featureWidth(input);
  if (fileColumns.includes(input.name) && (width === 1 || width === 'any')) return [{ input, columns: [input.name] }];
  return [{ input, columns: [...fileColumns] }];
}

/** Values per row the input takes: 1 for [N], k for [N, k], 'any' for [N, ?]; undefined otherwise. */
export function featureWidth(input: ModelInput): number | 'any' | undefined {
  if (input.shape.length === 1) return 1;
  if (input.shape.length !== 2) return undefined;
  const k = input.shape[1];
  return typeof k === 'number' && k >= 0 ? k : 'any';
}
