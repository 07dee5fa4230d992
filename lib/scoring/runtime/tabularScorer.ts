import { messageOf } from '../../util/messageOf';
import type { OnnxModel } from '../onnx/model';
import { loadOnnxModel } from '../onnx/model';
import { scoreTabularFile } from '../tabular/scoreFile';
import { MiniBatchError } from './errors';
import { BlockHandlingError } from './blockChannel';
import { taskStopped } from './nativeCallGate';
import type { OutputBlockWriter } from './outputBlocks';
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

/** Loads the model ahead of the first mini-batch (failures are reported by that mini-batch). */
export async function warmModel(spec: ScorerSpec, intraOpThreads?: number): Promise<void> {
  await loadModel(spec, intraOpThreads);
}

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
