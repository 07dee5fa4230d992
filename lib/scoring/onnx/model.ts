import { messageOf } from '../../util/messageOf';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { parse as parseYaml } from 'yaml';
import { getInferenceSession } from './sessionCache';

/** A named column of an MLflow column-based signature (`signature.inputs`). */
export interface SignatureColumn {
  name: string;
  type: string;
}

/** Where a no-code model's ONNX file is, and the input columns its MLmodel declares. */
export interface OnnxModelSpec {
  onnxPath: string;
  format: 'mlflow' | 'onnx';
  /** Column-based MLflow signature; absent for bare ONNX files and tensor-based signatures. */
  signatureColumns?: SignatureColumn[];
}

/** One ONNX graph input as ONNX Runtime reports it (type e.g. 'float32', symbolic dims as strings). */
export interface ModelInput {
  name: string;
  type: string;
  shape: readonly (number | string)[];
}

export interface OnnxModel extends OnnxModelSpec {
  session: InferenceSession;
  inputs: ModelInput[];
  /** The first graph output: what the scorer writes as the prediction. */
  primaryOutput: string;
}

/**
 * Finds the ONNX model under `modelPath`: an MLflow folder (or its MLmodel file) with an `onnx`
 * flavor, a `.onnx` file, or a folder holding exactly one `.onnx` file. A folder with neither
 * but exactly one sub-folder is searched one level down, because registered model folders are
 * often downloaded inside a folder named after the model.
 */
export async function resolveOnnxModel(modelPath: string): Promise<OnnxModelSpec> {
  return resolveAt(path.resolve(modelPath), 1);
}

/** Resolves the model and gets its (cached) ONNX Runtime session. */
export async function loadOnnxModel(modelPath: string, intraOpThreads?: number): Promise<OnnxModel> {
  const spec = await resolveOnnxModel(modelPath);
  const session = await getInferenceSession(spec.onnxPath, intraOpThreads);
  const inputs = session.inputMetadata.map((m): ModelInput => {
    if (!m.isTensor) throw new Error(`ONNX model ${spec.onnxPath}: input '${m.name}' is not a tensor; only tensor inputs can be fed from tables`);
    return { name: m.name, type: m.type, shape: m.shape };
  });
  const output = session.outputMetadata[0];
  if (!output) throw new Error(`ONNX model ${spec.onnxPath} has no outputs`);
  if (!output.isTensor) throw new Error(`ONNX model ${spec.onnxPath}: the first output '${output.name}' is not a tensor (e.g. a ZipMap); export the model with a tensor output first`);
  return { ...spec, session, inputs, primaryOutput: output.name };
}

async function resolveAt(target: string, depth: number): Promise<OnnxModelSpec> {
  const info = await stat(target).catch((err: unknown) => {
    throw new Error(`model path ${target} cannot be read (${messageOf(err)})`);
  });
  if (info.isFile()) {
    if (path.basename(target) === 'MLmodel') return fromMlflowFolder(path.dirname(target));
    if (path.extname(target).toLowerCase() === '.onnx') return { onnxPath: target, format: 'onnx' };
    throw new Error(`model file ${target} is neither an .onnx file nor an MLflow MLmodel file`);
  }
  const entries = await readdir(target, { withFileTypes: true });
  if (entries.some((e) => e.isFile() && e.name === 'MLmodel')) return fromMlflowFolder(target);
  const onnxFiles = entries.filter((e) => e.isFile() && e.name.toLowerCase().endsWith('.onnx')).map((e) => e.name);
  if (onnxFiles.length === 1) return { onnxPath: path.join(target, onnxFiles[0]!), format: 'onnx' };
  if (onnxFiles.length > 1) throw new Error(`model folder ${target} holds several .onnx files (${onnxFiles.sort().join(', ')}); add an MLmodel file or point at one file`);
  const folders = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.'));
  if (depth > 0 && folders.length === 1) return resolveAt(path.join(target, folders[0]!.name), depth - 1);
  throw new Error(`model folder ${target} has no MLmodel file and no .onnx file: the no-code scorer needs an ONNX model`);
}

async function fromMlflowFolder(folder: string): Promise<OnnxModelSpec> {
  const file = path.join(folder, 'MLmodel');
  let doc: unknown;
  try {
    doc = parseYaml(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file} cannot be parsed: ${messageOf(err)}`, { cause: err });
  }
  const flavors = field(doc, 'flavors');
  const onnx = field(flavors, 'onnx');
  if (!isObject(onnx)) {
    const names = isObject(flavors) ? Object.keys(flavors).join(', ') : 'none';
    throw new Error(`${file} has no 'onnx' flavor (flavors: ${names}): the no-code scorer runs ONNX models only; convert the model to ONNX or deploy it with a scoring script`);
  }
  const data = field(onnx, 'data');
  if (typeof data !== 'string' || data === '') throw new Error(`${file}: flavors.onnx.data must name the .onnx file`);
  const onnxPath = path.resolve(folder, data);
  if (path.relative(folder, onnxPath).startsWith('..')) throw new Error(`${file}: flavors.onnx.data '${data}' points outside the model folder`);
  await stat(onnxPath).catch(() => {
    throw new Error(`${file}: flavors.onnx.data names '${data}', which is not in the model folder`);
  });
  return { onnxPath, format: 'mlflow', signatureColumns: signatureColumns(field(field(doc, 'signature'), 'inputs'), file) };
}

/** MLflow stores `signature.inputs` as a JSON string; only column-based signatures name columns. */
function signatureColumns(inputs: unknown, file: string): SignatureColumn[] | undefined {
  if (inputs === undefined || inputs === null) return undefined;
  let parsed: unknown;
  try {
    parsed = typeof inputs === 'string' ? JSON.parse(inputs) : inputs;
  } catch (err) {
    throw new Error(`${file}: signature.inputs is not valid JSON (${messageOf(err)})`);
  }
  if (!Array.isArray(parsed)) throw new Error(`${file}: signature.inputs must be a JSON list`);
  if (parsed.length === 0 || parsed.some((c) => field(c, 'type') === 'tensor' || typeof field(c, 'name') !== 'string')) return undefined;
  return parsed.map((c) => ({ name: field(c, 'name') as string, type: String(field(c, 'type')) }));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field(value: unknown, key: string): unknown {
  return isObject(value) ? value[key] : undefined;
}
