/**
 * Writes samples/mlp/model: a generated multi-layer perceptron (4 -> 512 -> 512 -> 3, ReLU, about
 * 266,000 weights) in the MLflow layout, for the scoring benchmark's heavier-model variant, where
 * scoring rather than the pipeline dominates. The weights are pseudo-random (a fixed LCG), not
 * trained: the predictions mean nothing, the cost per row is what matters. Same bytes every run.
 * Run: npx tsc -p . && node dist/samples/mlp/make.js
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { mlmodelYaml } from '../iris/mlmodel';
import { buildOnnxModel, type FloatInitializer, type NodeSpec } from '../iris/onnxGraph';

const COLUMNS = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
const LAYERS = [COLUMNS.length, 512, 512, 3];

function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
}

export function mlpOnnx(): Uint8Array {
  const next = lcg(42);
  const initializers: FloatInitializer[] = [];
  const nodes: NodeSpec[] = [];
  let x = 'features';
  for (let l = 0; l + 1 < LAYERS.length; l++) {
    const [n, m] = [LAYERS[l]!, LAYERS[l + 1]!];
    const scale = Math.sqrt(2 / n); // He-like scale keeps activations in range through the layers
    initializers.push({ name: `W${l}`, dims: [n, m], values: Array.from({ length: n * m }, () => Math.fround(next() * 2 * scale)) });
    initializers.push({ name: `B${l}`, dims: [m], values: Array.from({ length: m }, () => Math.fround(next() * 0.1)) });
    nodes.push({ op: 'MatMul', inputs: [x, `W${l}`], outputs: [`mm${l}`] });
    const last = l + 2 === LAYERS.length;
    nodes.push({ op: 'Add', inputs: [`mm${l}`, `B${l}`], outputs: [last ? 'logits' : `z${l}`] });
    if (!last) nodes.push({ op: 'Relu', inputs: [`z${l}`], outputs: [`h${l}`] });
    x = `h${l}`;
  }
  nodes.push({ op: 'ArgMax', inputs: ['logits'], outputs: ['label'], attrs: { axis: 1, keepdims: 0 } });
  return buildOnnxModel({
    name: 'generated_mlp',
    producer: 'batch-endpoints-functions samples/mlp/make.ts',
    inputs: [{ name: 'features', type: 'float', shape: ['N', COLUMNS.length] }],
    outputs: [{ name: 'label', type: 'int64', shape: ['N'] }],
    initializers,
    nodes,
  });
}

if (require.main === module) {
  const dir = path.join(__dirname, '..', '..', '..', 'samples', 'mlp', 'model');
  mkdirSync(dir, { recursive: true });
  const bytes = mlpOnnx();
  writeFileSync(path.join(dir, 'model.onnx'), bytes);
  writeFileSync(path.join(dir, 'MLmodel'), mlmodelYaml({ modelBytes: bytes, columns: COLUMNS, madeBy: 'samples/mlp/make.ts', style: 'minimal' }));
  const weights = LAYERS.slice(1).reduce((s, m, l) => s + LAYERS[l]! * m + m, 0);
  console.log(`wrote ${dir}: ${weights.toLocaleString('en-US')} weights, ${bytes.length.toLocaleString('en-US')} bytes`);
}
