import { messageOf } from '../../util/messageOf';
import path from 'node:path';
import { csvField } from '../../output/csvLine';
import { buildFeeds } from '../onnx/feeds';
import { planInputs, requiredColumns, type InputBinding } from '../onnx/inputMapping';
import type { OnnxModel } from '../onnx/model';
import { predictionStrings } from '../onnx/predictions';
import { InputFileError } from './errors';
import { readTable } from './readers';

/** Rows per ONNX Runtime run: large enough to amortize the call, small enough to bound memory. */
export const DEFAULT_CHUNK_ROWS = 10_000;

export interface ScoreFileOptions {
  /** Name written in the `file` column and used in errors (default: the path's base name). */
  fileName?: string;
  chunkRows?: number;
  /** The file's content, already in memory (then `filePath` only names the file). */
  bytes?: Uint8Array;
}

export interface ScoredChunk {
  /** 0-based index of the chunk's first row within the file. */
  firstRow: number;
  rowCount: number;
  /** `row,prediction,file` lines without line terminators, one per row. */
  lines: string[];
}

/**
 * Scores one tabular file with a no-code ONNX model, a chunk at a time, producing Azure ML's
 * MLflow batch output lines `row,prediction,file` (row: 0-based index in the file; prediction:
 * the model's first output for that row; file: the file's name). Any problem with the file is
 * an InputFileError; lines of earlier chunks may already have been yielded, so callers keep
 * a file's lines only when the whole file succeeded.
 */
export async function* scoreTabularFile(model: OnnxModel, filePath: string, options: ScoreFileOptions = {}): AsyncGenerator<ScoredChunk> {
  const fileName = options.fileName ?? path.basename(filePath);
  const chunkRows = options.chunkRows ?? DEFAULT_CHUNK_ROWS;
  let bindings: InputBinding[] | undefined;
  // The file column is the same on every row and a row number never needs quoting: only the
  // prediction is formatted per row (this runs once per output row).
  const fileField = csvField(fileName);
  for await (const chunk of readTable(filePath, { chunkRows, columns: requiredColumns(model), displayName: fileName, bytes: options.bytes })) {
    bindings ??= planInputs(model, chunk.fileColumns, fileName);
    const feeds = buildFeeds(bindings, chunk, fileName);
    let output;
    try {
      output = (await model.session.run(feeds, [model.primaryOutput]))[model.primaryOutput];
    } catch (err) {
      const rows = `rows ${chunk.firstRow}-${chunk.firstRow + chunk.rowCount - 1}`;
      throw new InputFileError(fileName, `${rows}: ONNX Runtime failed: ${messageOf(err)}`, { cause: err });
    }
    if (!output) throw new Error(`ONNX Runtime returned no '${model.primaryOutput}' output`);
    const predictions = predictionStrings(output, chunk.rowCount, model.primaryOutput);
    const lines = predictions.map((p, i) => `${chunk.firstRow + i},${csvField(p)},${fileField}`);
    yield { firstRow: chunk.firstRow, rowCount: chunk.rowCount, lines };
  }
}
