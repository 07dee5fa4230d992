/**
 * The raw scorer of the scoring benchmark, as a process of its own: loads the model and scores
 * every CSV file of a folder in one thread, twice. The first pass is a fresh process (its code
 * not yet optimized by V8, like a job's new scoring workers); the second is warm.
 * Prints JSON: { rows, firstSeconds, secondSeconds }.
 * Run: node dist/bench/rawScorer.js <csv folder> <model folder>
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadOnnxModel, type OnnxModel } from '../lib/scoring/onnx/model';
import { scoreTabularFile } from '../lib/scoring/tabular/scoreFile';

async function pass(model: OnnxModel, dir: string, names: string[]): Promise<number> {
  let rows = 0;
  for (const name of names) {
    for await (const chunk of scoreTabularFile(model, join(dir, name), { fileName: name })) rows += chunk.lines.length;
  }
  return rows;
}

async function main(): Promise<void> {
  const [dir, modelDir] = process.argv.slice(2);
  if (!dir || !modelDir) throw new Error('usage: rawScorer <csv folder> <model folder>');
  const names = readdirSync(dir).filter((n) => n.endsWith('.csv')).sort();
  const first = performance.now();
  const model = await loadOnnxModel(modelDir);
  const rows = await pass(model, dir, names);
  const second = performance.now();
  if ((await pass(model, dir, names)) !== rows) throw new Error('the second pass scored a different number of rows');
  const end = performance.now();
  console.log(JSON.stringify({ rows, firstSeconds: (second - first) / 1000, secondSeconds: (end - second) / 1000 }));
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
