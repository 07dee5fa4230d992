import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { planInputs, requiredColumns } from '../../../lib/scoring/onnx/inputMapping';
import { loadOnnxModel, resolveOnnxModel, type ModelInput } from '../../../lib/scoring/onnx/model';
import { getInferenceSession, releaseInferenceSessions } from '../../../lib/scoring/onnx/sessionCache';
import { buildOnnxModel, type ElemType } from '../../../samples/iris/onnxGraph';
import { errorOf, IRIS_DATA_DIR, IRIS_MODEL_DIR, scoreAll, tempDir, writeFile } from './helpers';

const dir = tempDir();
afterAll(releaseInferenceSessions);

/** A model folder holding one Identity-style model: out = f(inputs). */
function modelDir(name: string, bytes: Uint8Array, mlmodel?: string): string {
  const folder = path.join(dir, name);
  mkdirSync(folder, { recursive: true });
  writeFile(folder, 'model.onnx', bytes);
  if (mlmodel !== undefined) writeFile(folder, 'MLmodel', mlmodel);
  return folder;
}

function identity(type: ElemType, inShape: (number | string)[], inputName = 'x'): Uint8Array {
  return buildOnnxModel({
    name: 'identity',
    inputs: [{ name: inputName, type, shape: inShape }],
    outputs: [{ name: 'out', type, shape: inShape }],
    nodes: [{ op: 'Identity', inputs: [inputName], outputs: ['out'] }],
  });
}

describe('one ONNX input per column', () => {
  const subtract = buildOnnxModel({
    name: 'subtract',
    inputs: [
      { name: 'a', type: 'float', shape: ['N'] },
      { name: 'b', type: 'float', shape: ['N'] },
    ],
    outputs: [{ name: 'diff', type: 'float', shape: ['N'] }],
    nodes: [{ op: 'Sub', inputs: ['a', 'b'], outputs: ['diff'] }],
  });

  it('matches inputs to columns by name, whatever the column order, ignoring other columns', async () => {
    const model = await loadOnnxModel(modelDir('sub', subtract));
    const file = writeFile(dir, 'ab.csv', 'c,b,a\nz,1,2.5\nz,0.5,0.6\n');
    // float32 arithmetic: 0.6f - 0.5f is 0.100000024 (printed as numpy prints float32).
    expect(await scoreAll(model, file)).toEqual(['0,1.5,ab.csv', '1,0.100000024,ab.csv']);
  });

  it('a missing column names the column and the file', async () => {
    const model = await loadOnnxModel(modelDir('sub', subtract));
    const file = writeFile(dir, 'only-a.jsonl', '{"a": 1}\n');
    expect(await errorOf(scoreAll(model, file))).toBe("only-a.jsonl: missing column 'b' needed by model input 'b' (the file has: a)");
  });

  it('feeds int64 [N,1] inputs and rejects non-integers', async () => {
    const model = await loadOnnxModel(modelDir('int', identity('int64', ['N', 1], 'n')));
    expect(await scoreAll(model, writeFile(dir, 'ints.csv', 'n\n7\n-9007199254740993\n'))).toEqual(['0,7,ints.csv', '1,-9007199254740993,ints.csv']);
    expect(await errorOf(scoreAll(model, writeFile(dir, 'frac.csv', 'n\n3.5\n')))).toBe("frac.csv: row 0 (line 2), column 'n': '3.5' is not an integer");
  });

  it('feeds string inputs; predictions with commas, quotes or newlines are CSV-quoted', async () => {
    const model = await loadOnnxModel(modelDir('text', identity('string', ['N'], 'label')));
    const file = writeFile(dir, 'text.jsonl', ['a,b', 'say "hi"', 'two\nlines', 'plain', 42].map((label) => JSON.stringify({ label })).join('\n'));
    expect(await scoreAll(model, file)).toEqual(['0,"a,b",text.jsonl', '1,"say ""hi""",text.jsonl', '2,"two\nlines",text.jsonl', '3,plain,text.jsonl', '4,42,text.jsonl']);
  });

  it('prints several values per row as one quoted JSON list', async () => {
    const model = await loadOnnxModel(modelDir('pair', identity('double', ['N', 2])));
    expect(await scoreAll(model, writeFile(dir, 'pair.csv', 'p,q\n1.5,2\n'))).toEqual(['0,"[1.5,2]",pair.csv']);
  });
});

describe('model folders', () => {
  const irisOnnx = readFileSync(path.join(IRIS_MODEL_DIR, 'model.onnx'));
  const mlmodel = (flavors: string, signature = ''): string => `flavors:\n${flavors}${signature}`;
  const onnxFlavor = '  onnx:\n    data: model.onnx\n';

  it('a column signature picks and orders the columns; a missing one is named', async () => {
    const folder = modelDir('sig', irisOnnx, mlmodel(onnxFlavor, `signature:\n  inputs: '[{"name": "w", "type": "double"}, {"name": "x", "type": "double"}, {"name": "y", "type": "double"}, {"name": "z", "type": "double"}]'\n`));
    const model = await loadOnnxModel(folder);
    const direct = await loadOnnxModel(IRIS_MODEL_DIR);
    const renamed = writeFile(dir, 'renamed.csv', 'z,y,x,w,extra\n0.2,1.4,3.5,5.1,9\n');
    const original = writeFile(dir, 'renamed.jsonl', '{"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2}');
    expect((await scoreAll(model, renamed))[0]!.split(',')[1]).toBe((await scoreAll(direct, original))[0]!.split(',')[1]);
    const missing = writeFile(dir, 'no-z.csv', 'w,x,y\n1,2,3\n');
    expect(await errorOf(scoreAll(model, missing))).toBe("no-z.csv: missing column 'z' needed by model input 'features' (the file has: w, x, y)");
  });

  it('a tensor signature names no columns (all file columns are used)', async () => {
    const folder = modelDir('tensor-sig', irisOnnx, mlmodel(onnxFlavor, `signature:\n  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}]'\n`));
    expect((await resolveOnnxModel(folder)).signatureColumns).toBeUndefined();
  });

  it('without a signature, a width mismatch is an error naming the columns', async () => {
    const model = await loadOnnxModel(modelDir('bare', irisOnnx));
    const file = writeFile(dir, 'five.csv', 'id,a,b,c,d\n1,5.1,3.5,1.4,0.2\n');
    expect(await errorOf(scoreAll(model, file))).toBe("five.csv: model input 'features' takes 4 value(s) per row but 5 column(s) map to it (id, a, b, c, d)");
  });

  it('explains a missing onnx flavor, a missing data file and bad signature JSON', async () => {
    const sklearn = modelDir('sklearn', irisOnnx, mlmodel('  python_function:\n    loader_module: mlflow.sklearn\n  sklearn:\n    pickled_model: model.pkl\n'));
    expect(await errorOf(resolveOnnxModel(sklearn))).toMatch(/MLmodel has no 'onnx' flavor \(flavors: python_function, sklearn\): the no-code scorer runs ONNX models only/);
    const noData = modelDir('no-data', irisOnnx, mlmodel('  onnx:\n    data: other.onnx\n'));
    expect(await errorOf(resolveOnnxModel(noData))).toMatch(/flavors\.onnx\.data names 'other\.onnx', which is not in the model folder/);
    const escape = modelDir('escape', irisOnnx, mlmodel('  onnx:\n    data: ../sig/model.onnx\n'));
    expect(await errorOf(resolveOnnxModel(escape))).toMatch(/points outside the model folder/);
    const badSig = modelDir('bad-sig', irisOnnx, mlmodel(onnxFlavor, "signature:\n  inputs: '[{oops'\n"));
    expect(await errorOf(resolveOnnxModel(badSig))).toMatch(/signature\.inputs is not valid JSON/);
    const badYaml = modelDir('bad-yaml', irisOnnx, 'flavors:\n  onnx: "unterminated\n');
    expect(await errorOf(resolveOnnxModel(badYaml))).toMatch(/MLmodel cannot be parsed: Missing closing "quote/);
  });

  it('finds the model in a file path, an MLmodel path, a single sub-folder, and refuses ambiguity', async () => {
    const onnxFile = path.join(IRIS_MODEL_DIR, 'model.onnx');
    expect(await resolveOnnxModel(onnxFile)).toEqual({ onnxPath: onnxFile, format: 'onnx' });
    expect((await resolveOnnxModel(path.join(IRIS_MODEL_DIR, 'MLmodel'))).format).toBe('mlflow');
    const outer = path.join(dir, 'outer');
    mkdirSync(path.join(outer, 'iris-model'), { recursive: true });
    for (const f of ['MLmodel', 'model.onnx']) copyFileSync(path.join(IRIS_MODEL_DIR, f), path.join(outer, 'iris-model', f));
    expect((await resolveOnnxModel(outer)).onnxPath).toBe(path.join(outer, 'iris-model', 'model.onnx'));

    const two = path.join(dir, 'two');
    mkdirSync(two);
    writeFile(two, 'a.onnx', irisOnnx);
    writeFile(two, 'b.onnx', irisOnnx);
    expect(await errorOf(resolveOnnxModel(two))).toMatch(/holds several \.onnx files \(a\.onnx, b\.onnx\)/);
    const empty = path.join(dir, 'empty');
    mkdirSync(empty);
    expect(await errorOf(resolveOnnxModel(empty))).toMatch(/has no MLmodel file and no \.onnx file/);
    expect(await errorOf(resolveOnnxModel(path.join(dir, 'absent')))).toMatch(/model path .*absent cannot be read/);
    expect(await errorOf(resolveOnnxModel(path.join(IRIS_DATA_DIR, 'iris.jsonl')))).toMatch(/neither an \.onnx file nor an MLflow MLmodel file/);
  });

  it('writes file names with commas quoted in the file column', async () => {
    const model = await loadOnnxModel(IRIS_MODEL_DIR);
    const file = path.join(dir, 'a,b.csv');
    copyFileSync(path.join(IRIS_DATA_DIR, 'iris-part-1.csv'), file);
    expect((await scoreAll(model, file))[0]).toBe('0,0,"a,b.csv"');
  });
});

describe('session cache', () => {
  it('reuses one session per model file and does not cache failed loads', async () => {
    const onnxFile = path.join(IRIS_MODEL_DIR, 'model.onnx');
    const relative = path.relative(process.cwd(), onnxFile);
    expect(await getInferenceSession(onnxFile)).toBe(await getInferenceSession(relative));

    const later = path.join(dir, 'later.onnx');
    expect(await errorOf(getInferenceSession(later))).toMatch(/^cannot load ONNX model .*later\.onnx: /);
    copyFileSync(onnxFile, later);
    expect((await getInferenceSession(later)).inputNames).toEqual(['features']);
  });
});

describe('planInputs', () => {
  const input = (name: string, shape: (number | string)[], type = 'float32'): ModelInput => ({ name, type, shape });

  it('prefers signature columns, then an input named like a column, then all columns', () => {
    const one = [input('x', ['N', 'k'])];
    expect(planInputs({ inputs: one, signatureColumns: [{ name: 'b', type: 'double' }] }, ['a', 'b'], 'f')[0]!.columns).toEqual(['b']);
    expect(planInputs({ inputs: [input('b', ['N'])] }, ['a', 'b'], 'f')[0]!.columns).toEqual(['b']);
    expect(planInputs({ inputs: one }, ['a', 'b'], 'f')[0]!.columns).toEqual(['a', 'b']);
    expect(requiredColumns({ inputs: one })).toBeUndefined();
    expect(requiredColumns({ inputs: [input('p', ['N']), input('q', ['N'])] })).toEqual(['p', 'q']);
  });

  it('refuses inputs tables cannot feed', () => {
    expect(() => planInputs({ inputs: [input('img', ['N', 3, 8, 8])] }, ['img'], 'f.csv')).toThrow("f.csv: model input 'img' has shape [N, 3, 8, 8]; tables can feed only [N] or [N, k] inputs");
    expect(() => planInputs({ inputs: [input('x', ['N'])] }, ['a', 'b'], 'f.csv')).toThrow('takes 1 value(s) per row but 2 column(s)');
  });
});
