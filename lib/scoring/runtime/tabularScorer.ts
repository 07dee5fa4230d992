import { messageOf } from '../../util/messageOf';
import type { OnnxModel } from '../onnx/model';
import { loadOnnxModel } from '../onnx/model';
import { scoreTabularFile } from '../tabular/scoreFile';
import { MiniBatchError } from './errors';
import { BlockHandlingError } from './blockChannel';
import { taskStopped } from './nativeCallGate';
import { DEFAULT_OUTPUT_BLOCK_BYTES, OutputBlockWriter } from './outputBlocks';
import { featureWidth, requiredColumns } from '../onnx/inputMapping';
import type { ScoredCounts } from './scoredBatch';
import type { ScriptLogger } from './taskLog';
import type { MiniBatchTask, ScorerSpec } from './types';
import { fatal } from '../../util/fatal';

// One model per worker (a worker serves one spec); its ONNX session is cached by sessionCache.
// A failed load is not kept, so a retry after a fixed download can succeed.
let model: Promise<OnnxModel> | undefined;

function loadModel(spec: ScorerSpec, intraOpThreads?: number): Promise<OnnxModel> {
  model ??= loadOnnxModel(spec.modelPath, intraOpThreads).catch((err: unknown) => {
    model = undefined;
    throw fatal(new MiniBatchError('ModelInvalid', `the model cannot be used by the no-code scorer: ${messageOf(err)}`));
  });
  return model;
}

/** Rows of the synthetic table a worker scores once after loading the model. */
const WARM_UP_ROWS = 20_000;
let warmedUp = false;

/**
 * Loads the model ahead of the first mini-batch (failures are reported by that mini-batch), then
 * scores a synthetic table once through the same code as a mini-batch (reader, feeds, ONNX
 * Runtime, output lines and blocks), output discarded: a fresh worker ran its first ~15,000 rows
 * at a fraction of its later speed (V8 had not optimized the per-row code yet), so a job's first
 * mini-batches paid that; now the worker pays it once, while the job prepares.
 */
export async function warmModel(spec: ScorerSpec, intraOpThreads?: number): Promise<void> {
  const onnx = await loadModel(spec, intraOpThreads);
  if (warmedUp) return; // once per worker: every job's prepare warms its workers
  warmedUp = true;
  const table = warmUpTable(onnx, WARM_UP_ROWS);
  if (!table) return;
  try {
    const output = new OutputBlockWriter(DEFAULT_OUTPUT_BLOCK_BYTES, async () => {});
    for await (const chunk of scoreTabularFile(onnx, 'warm-up.csv', { bytes: table, chunkRows: 5_000 })) await output.add(chunk.lines);
    output.dropFile();
  } catch {
    // best effort: a model that refuses these values still scores real data
  }
}

/** A CSV of `rows` rows of small decimals in the columns the model reads, or undefined when it takes non-numbers or unknown widths. */
function warmUpTable(model: OnnxModel, rows: number): Uint8Array | undefined {
  if (!model.inputs.every((input) => NUMERIC.has(input.type))) return undefined;
  let columns = requiredColumns(model);
  if (!columns) {
    const width = model.inputs.length === 1 ? featureWidth(model.inputs[0]!) : undefined;
    if (typeof width !== 'number' || width < 1) return undefined;
    columns = Array.from({ length: width }, (_, i) => `c${i}`);
  }
  // Decimals of a few digits, as data files hold: integers would take V8's fast path for
  // index-like strings and leave the decimal parsing cold.
  const lines = [columns.join(',')];
  for (let i = 0; i < rows; i++) lines.push(columns.map((_, j) => `${((i * (j + 3)) % 97) / 10 + 0.05}`).join(','));
  return new TextEncoder().encode(`${lines.join('\n')}\n`);
}

const NUMERIC = new Set(['float32', 'float64', 'int32', 'int64']);

/**
 * The no-code path: each file is one item, scored with the ONNX model into `row,prediction,file`
 * lines. A file that fails keeps none of its lines (earlier chunks may have been sent) and
 * counts as one failed item; the other files still succeed.
 */
export async function scoreWithModel(spec: ScorerSpec, task: MiniBatchTask, logger: ScriptLogger, output: OutputBlockWriter, intraOpThreads?: number): Promise<ScoredCounts> {
  const onnx = await loadModel(spec, intraOpThreads);
  const batch: ScoredCounts = { succeededItems: 0, failedItems: 0, itemErrors: [] };
  for (const file of task.files) {
    // A file's lines leave in blocks as they are scored, but count only when all of it scored.
    let rows = 0;
    try {
      for await (const chunk of scoreTabularFile(onnx, file.path, { fileName: file.name, bytes: file.bytes })) {
        await output.add(chunk.lines);
        rows += chunk.lines.length;
      }
    } catch (err) {
      // The output failed, or the mini-batch timed out: not the file's fault.
      if (err instanceof BlockHandlingError || taskStopped()) throw err;
      output.dropFile();
      const text = messageOf(err);
      const message = text.startsWith(`${file.name}:`) ? text : `${file.name}: ${text}`;
      batch.failedItems++;
      batch.itemErrors.push({ file: file.name, message });
      logger.warning(message);
      continue;
    }
    await output.endFile();
    batch.succeededItems++;
    logger.info(`${file.name}: ${rows} row(s) scored`);
  }
  return batch;
}
