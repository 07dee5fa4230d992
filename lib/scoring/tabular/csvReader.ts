import { messageOf } from '../../util/messageOf';
import { createReadStream } from 'node:fs';
import { CsvError, parse } from 'csv-parse';
import { InputFileError } from './errors';
import { selectColumns, type TableChunk } from './table';

/**
 * Streams a CSV file with a header row (RFC 4180 quoting, optional BOM, blank lines skipped).
 * Every record must have as many fields as the header. Errors name the source line.
 */
export async function* readCsv(
  filePath: string,
  displayName: string,
  chunkRows: number,
  wanted?: readonly string[],
): AsyncGenerator<TableChunk> {
  // Blank lines come through as [''] records and field counts are checked below, so line numbers
  // can be counted here: csv-parse's `info` option would, but it copies an object per record,
  // which more than doubles parse time. Quoting stays strict (RFC 4180): a stray quote is an error.
  const parser = parse({ bom: true, skip_empty_lines: false, relax_column_count: true });
  const input = createReadStream(filePath);
  // pipe() does not forward read errors; without this the loop would wait forever.
  input.on('error', (err) => parser.destroy(err));
  input.pipe(parser);

  let header: string[] | undefined;
  let picks: { name: string; index: number }[] = [];
  let values: string[][] = [];
  let lines: number[] = [];
  let firstRow = 0;
  let line = 0; // last source line consumed
  const flush = (): TableChunk => {
    const chunk: TableChunk = {
      firstRow,
      rowCount: lines.length,
      fileColumns: header ?? [],
      columns: new Map(picks.map((p, j) => [p.name, values[j]!])),
      lines,
    };
    firstRow += lines.length;
    values = picks.map(() => []);
    lines = [];
    return chunk;
  };

  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      const start = line + 1;
      line = start + embeddedNewlines(record);
      if (record.length === 1 && record[0]!.trim() === '') continue;
      if (header && record.length !== header.length) {
        throw new InputFileError(displayName, `line ${start}: ${record.length} field(s), but the header has ${header.length}`);
      }
      if (!header) {
        header = readHeader(record, displayName, start);
        picks = selectColumns(header, wanted).map((name) => ({ name, index: header!.indexOf(name) }));
        values = picks.map(() => []);
        continue;
      }
      for (let j = 0; j < picks.length; j++) values[j]!.push(record[picks[j]!.index]!);
      lines.push(start);
      if (lines.length >= chunkRows) yield flush();
    }
  } catch (err) {
    if (err instanceof InputFileError) throw err;
    const what = err instanceof CsvError ? 'invalid CSV' : 'cannot read file';
    throw new InputFileError(displayName, `${what}: ${messageOf(err)}`, { cause: err });
  } finally {
    input.destroy();
  }
  if (!header) throw new InputFileError(displayName, 'no header row (the file has no CSV records)');
  if (firstRow === 0 && lines.length === 0) throw new InputFileError(displayName, 'has a header row but no data rows');
  if (lines.length > 0) yield flush();
}

/** Header names are trimmed; empty ones are named like pandas does ("Unnamed: 0"). */
function readHeader(record: string[], displayName: string, line: number): string[] {
  const names = record.map((h, i) => h.trim() || `Unnamed: ${i}`);
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw new InputFileError(displayName, `line ${line}: duplicate column name '${name}' in the header`);
    seen.add(name);
  }
  return names;
}

/** Line breaks inside quoted fields: the record spans that many extra source lines. */
function embeddedNewlines(record: string[]): number {
  let count = 0;
  for (const field of record) {
    for (let i = field.indexOf('\n'); i >= 0; i = field.indexOf('\n', i + 1)) count++;
  }
  return count;
}
