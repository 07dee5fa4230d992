import { messageOf } from '../../util/messageOf';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { readCsv } from './csvReader';
import { InputFileError } from './errors';
import { readJsonl } from './jsonlReader';
import { readParquet } from './parquetReader';
import type { ReadTableOptions, TableChunk } from './table';

type Reader = (filePath: string, displayName: string, chunkRows: number, wanted?: readonly string[], bytes?: Uint8Array) => AsyncGenerator<TableChunk>;

const READERS: Record<string, Reader> = { '.csv': readCsv, '.parquet': readParquet, '.jsonl': readJsonl };

/** File extensions the no-code tabular scorer reads (lower case). */
export const TABULAR_EXTENSIONS: readonly string[] = Object.keys(READERS);

/**
 * Reads a `.csv`, `.parquet` or `.jsonl` file (chosen by extension, case-insensitive) in chunks.
 * Every failure is an InputFileError naming the file; empty files are errors, not zero rows,
 * because an empty input is almost always a mistake upstream.
 */
export async function* readTable(filePath: string, options: ReadTableOptions): AsyncGenerator<TableChunk> {
  const displayName = options.displayName ?? path.basename(filePath);
  const ext = path.extname(filePath).toLowerCase();
  const reader = READERS[ext];
  if (!reader) {
    const kind = ext ? `'${ext}'` : 'without an extension';
    throw new InputFileError(displayName, `unsupported file type ${kind}: the no-code scorer reads ${TABULAR_EXTENSIONS.join(', ')} files`);
  }
  if (!Number.isInteger(options.chunkRows) || options.chunkRows < 1) {
    throw new RangeError(`chunkRows must be a positive integer, got ${options.chunkRows}`);
  }
  let size: number;
  try {
    size = options.bytes ? options.bytes.byteLength : (await stat(filePath)).size;
  } catch (err) {
    throw new InputFileError(displayName, `cannot read file (${messageOf(err)})`, { cause: err });
  }
  if (size === 0) throw new InputFileError(displayName, 'the file is empty (0 bytes)');
  yield* reader(filePath, displayName, options.chunkRows, options.columns, options.bytes);
}
