import { messageOf } from '../../util/messageOf';
import { createInterface } from 'node:readline';
import { InputFileError } from './errors';
import { fileBlocks } from './source';
import { selectColumns, type TableChunk } from './table';

/**
 * Streams a JSON Lines file: one JSON object per line, blank lines skipped. Keys are columns;
 * a key missing from a row reads as `undefined` and is reported when its value is needed.
 */
export async function* readJsonl(
  filePath: string,
  displayName: string,
  chunkRows: number,
  wanted?: readonly string[],
  bytes?: Uint8Array,
): AsyncGenerator<TableChunk> {
  const input = fileBlocks(filePath, bytes, 64 * 1024, 'utf8');
  const reader = createInterface({ input, crlfDelay: Infinity });
  let rows: Record<string, unknown>[] = [];
  let lines: number[] = [];
  let firstRow = 0;
  let lineNo = 0;
  const flush = (): TableChunk => {
    // Columns are the keys seen in this chunk, in first-seen order.
    const keys = new Set<string>();
    for (const row of rows) for (const key of Object.keys(row)) keys.add(key);
    const fileColumns = [...keys];
    const columns = new Map(selectColumns(fileColumns, wanted).map((c) => [c, rows.map((r) => r[c])]));
    const chunk: TableChunk = { firstRow, rowCount: rows.length, fileColumns, columns, lines };
    firstRow += rows.length;
    rows = [];
    lines = [];
    return chunk;
  };

  try {
    for await (const raw of reader) {
      lineNo++;
      const text = lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (text.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        throw new InputFileError(displayName, `line ${lineNo}: invalid JSON (${messageOf(err)})`);
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
        throw new InputFileError(displayName, `line ${lineNo}: expected a JSON object per line, got ${got}`);
      }
      rows.push(value as Record<string, unknown>);
      lines.push(lineNo);
      if (rows.length >= chunkRows) yield flush();
    }
  } catch (err) {
    if (err instanceof InputFileError) throw err;
    throw new InputFileError(displayName, `cannot read file: ${messageOf(err)}`, { cause: err });
  } finally {
    reader.close();
    input.destroy();
  }
  if (firstRow === 0 && rows.length === 0) throw new InputFileError(displayName, 'has no JSON lines (only blank lines)');
  if (rows.length > 0) yield flush();
}
