import { describe, expect, it } from 'vitest';
import { copyFile, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveOnnxModel } from '../../../lib/scoring/onnx/model';

// MLmodel as MLflow 2.x writes it for an ONNX model (PyYAML block style, wrapped signature).
const MLFLOW_ONNX = `artifact_path: model
flavors:
  onnx:
    code: null
    data: model.onnx
    onnx_version: 1.14.1
    providers:
    - CUDAExecutionProvider
    - CPUExecutionProvider
  python_function:
    data: model.onnx
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.onnx
    python_version: 3.10.12
mlflow_version: 2.8.0
model_size_bytes: 1024
signature:
  inputs: '[{"type": "double", "name": "age", "required": true}, {"type": "double",
    "name": "sex", "required": true}, {"type": "string", "name": "thal''s", "required":
    true}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
  params: null
utc_time_created: '2023-10-25 12:10:08.114527'
`;

describe('MLmodel files as MLflow writes them', () => {
  it('finds the onnx flavor and the wrapped single-quoted signature columns', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlmodel-'));
    await writeFile(join(dir, 'MLmodel'), MLFLOW_ONNX);
    await copyFile(join(__dirname, '..', '..', '..', 'samples', 'iris', 'model', 'model.onnx'), join(dir, 'model.onnx'));
    const spec = await resolveOnnxModel(dir);
    expect(spec.format).toBe('mlflow');
    expect(spec.onnxPath).toBe(join(dir, 'model.onnx'));
    expect(spec.signatureColumns?.map((c) => c.name)).toEqual(['age', 'sex', "thal's"]);
  });

  it('says which file cannot be parsed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlmodel-'));
    await writeFile(join(dir, 'MLmodel'), 'flavors: [unclosed\n');
    await expect(resolveOnnxModel(dir)).rejects.toThrow(`${join(dir, 'MLmodel')} cannot be parsed`);
  });
});
