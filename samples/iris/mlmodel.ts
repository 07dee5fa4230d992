// The MLmodel file of an MLflow ONNX model, for the samples' generators (samples/iris/train.ts,
// samples/mlp/make.ts): one writer, so the two files differ only where the models do.
import { createHash } from 'node:crypto';

export interface MLmodelOptions {
  /** The ONNX bytes: `model_uuid` is their hash (a random uuid would change the file every run). */
  modelBytes: Uint8Array;
  /** The signature's inputs: one double column each. */
  columns: readonly string[];
  /** `metadata.made_by`: the generator. */
  madeBy: string;
  /** `metadata.classes`: what the label indexes name. */
  classes?: readonly string[];
  /**
   * `mlflow`: as MLflow's `log_model` writes it (providers, the python_function flavor, the
   * creation time, and PyYAML's folding of long lines at 80 columns); `minimal`: the onnx flavor
   * and the signature, one line each.
   */
  style: 'mlflow' | 'minimal';
}

const OUTPUTS = '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]';

/** A single-quoted scalar, folded PyYAML's way (at a space, past 80 columns) when `fold`. */
function singleQuoted(key: string, value: string, indent: number, fold: boolean): string {
  const quoted = `'${value.replace(/'/g, "''")}'`;
  if (!fold) return `${' '.repeat(indent)}${key}: ${quoted}`;
  const words = quoted.split(' ');
  const lines: string[] = [];
  let line = `${' '.repeat(indent)}${key}: ${words.shift()!}`;
  for (const word of words) {
    if (line.length + 1 + word.length > 80) {
      lines.push(line);
      line = `${' '.repeat(indent + 2)}${word}`;
    } else {
      line += ` ${word}`;
    }
  }
  lines.push(line);
  return lines.join('\n');
}

export function mlmodelYaml(options: MLmodelOptions): string {
  const mlflow = options.style === 'mlflow';
  // Python's json.dumps spacing, as MLflow writes the signature.
  const inputs = JSON.stringify(options.columns.map((name) => ({ type: 'double', name, required: true })))
    .replace(/,/g, ', ')
    .replace(/:/g, ': ');
  const hash = createHash('sha256').update(options.modelBytes).digest('hex');
  return [
    'artifact_path: model',
    'flavors:',
    '  onnx:',
    '    code: null',
    '    data: model.onnx',
    '    onnx_version: 1.10.2',
    ...(mlflow
      ? ['    providers:', '    - CPUExecutionProvider', '  python_function:', '    data: model.onnx', '    loader_module: mlflow.onnx', '    python_version: 3.10.12']
      : []),
    'metadata:',
    ...(options.classes ? ['  classes:', ...options.classes.map((c) => `  - ${c}`)] : []),
    `  made_by: ${options.madeBy}`,
    'mlflow_version: 2.9.2',
    `model_uuid: ${hash.slice(0, 32)}`,
    'signature:',
    singleQuoted('inputs', inputs, 2, mlflow),
    singleQuoted('outputs', OUTPUTS, 2, mlflow),
    '  params: null',
    ...(mlflow ? ["utc_time_created: '2024-01-01 00:00:00.000000'"] : []),
    '',
  ].join('\n');
}
