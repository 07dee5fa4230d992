// Sample scoring script for a custom_model deployment of the Iris model (CommonJS).
//
// init(context) runs once per worker: it loads model.onnx from context.modelDir.
// run(miniBatch, context) gets local paths of CSV files (header row, the four numeric columns
// sepal_length, sepal_width, petal_length, petal_width; simple CSV without quoted fields) and
// returns one element per file: [fileName, rows, setosa, versicolor, virginica, uncertain],
// the count of rows predicted as each class. Each element becomes one output line.
//
// Literal input (optional): "min_confidence" (e.g. "0.9"): rows whose top probability is
// lower are counted as uncertain instead of as a class.
'use strict';

const fs = require('node:fs/promises');
const path = require('node:path');
const { createRequire } = require('node:module');

// Scoring code is downloaded outside the app folder, where require() cannot see the app's
// node_modules; fall back to resolving packages from the app's working directory.
function requireFromApp(name) {
  try {
    return require(name);
  } catch {
    return createRequire(path.join(process.cwd(), 'package.json'))(name);
  }
}

const ort = requireFromApp('onnxruntime-node');
const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
const CLASSES = ['setosa', 'versicolor', 'virginica'];
let session;

exports.init = async (context) => {
  session = await ort.InferenceSession.create(path.join(context.modelDir, 'model.onnx'));
  context.logger.info(`iris model loaded from ${context.modelDir}`);
};

exports.run = async (miniBatch, context) => {
  const raw = (context.params ?? {}).min_confidence ?? '0';
  const minConfidence = Number(raw);
  if (Number.isNaN(minConfidence)) throw new Error(`min_confidence must be a number, got '${raw}'`);
  const results = [];
  for (const file of miniBatch) {
    const rows = parseCsv(await fs.readFile(file, 'utf8'), file);
    const input = new ort.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, FEATURES.length]);
    const { label, probabilities } = await session.run({ features: input });
    const counts = [0, 0, 0, 0]; // setosa, versicolor, virginica, uncertain
    for (let i = 0; i < rows.length; i++) {
      const cls = Number(label.data[i]);
      const confident = probabilities.data[i * CLASSES.length + cls] >= minConfidence;
      counts[confident ? cls : 3]++;
    }
    context.logger.info(`${path.basename(file)}: ${rows.length} rows`);
    results.push([path.basename(file), rows.length, ...counts]);
  }
  return results;
};

/** Rows of the four features, in FEATURES order whatever the header's column order. */
function parseCsv(text, file) {
  const [header, ...lines] = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (!header) throw new Error(`${path.basename(file)}: empty file`);
  const names = header.split(',').map((h) => h.trim());
  const index = FEATURES.map((f) => {
    const i = names.indexOf(f);
    if (i < 0) throw new Error(`${path.basename(file)}: missing column '${f}'`);
    return i;
  });
  return lines.map((line, n) => {
    const cells = line.split(',');
    return index.map((i) => {
      const v = Number(cells[i]);
      if (cells[i] === undefined || cells[i].trim() === '' || Number.isNaN(v)) {
        throw new Error(`${path.basename(file)}: line ${n + 2}: '${cells[i] ?? ''}' is not a number`);
      }
      return v;
    });
  });
}
