import { messageOf } from '../../util/messageOf';
import { Readable, pipeline } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { CsvError, parse } from 'csv-parse';
import { InputFileError } from './errors';
import { fileBlocks } from './source';
import { selectColumns, type TableChunk } from './table';

/** Bytes read at a time: a few thousand rows, so a block's lines are split in one go. */
const READ_BYTES = 1 << 20;
/** Records handed on at a time from csv-parse (the quoted path). */
const PARSED_BATCH = 4096;

/**
 * Streams a CSV file with a header row (RFC 4180 quoting, optional BOM, blank lines skipped).
 * Every record must have as many fields as the header. Errors name the source line.
 */
export async function* readCsv(
  filePath: string,
  displayName: string,
  chunkRows: number,
  wanted?: readonly string[],
  bytes?: Uint8Array,
): AsyncGenerator<TableChunk> {
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

  const input = fileBlocks(filePath, bytes, READ_BYTES);
  try {
    for await (const { records, quoted } of csvRecords(input)) {
      for (const record of records) {
        const start = line + 1;
        // Blank lines come through as [''] records and are counted here, as are line breaks
        // inside quoted fields (only possible on the quoted path).
        line = quoted ? start + embeddedNewlines(record) : start;
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

/**
 * The file's records, in batches. Two paths, one result:
 * - While the text has no quote and no bare CR, RFC 4180 reduces to "records end at LF (or CRLF),
 *   fields end at commas": each block read is split with String.split, several times faster than
 *   a general parser (csv-parse took a quarter of a scoring worker's time on numeric files).
 * - From the first block that has a quote or a bare CR (a quoted field, old Mac line ends), the
 *   rest of the file goes through csv-parse, strict about quoting, with its error messages.
 * Blank lines come through as [''] records on both paths, so line numbers are counted the same.
 */
async function* csvRecords(input: Readable): AsyncGenerator<{ records: string[][]; quoted: boolean }> {
  const decoder = new StringDecoder('utf8');
  const chunks = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let pending = '';
  let first = true;
  for (;;) {
    const next = await chunks.next();
    let text = pending + (next.done ? decoder.end() : decoder.write(next.value));
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a BOM (csv-parse's bom option)
      first = false;
    }
    const cut = next.done ? text.length : text.lastIndexOf('\n') + 1;
    const complete = text.slice(0, cut);
    if (complete.includes('"') || BARE_CR.test(complete)) {
      yield* parsedRecords(text, next.done ? undefined : { chunks, decoder });
      return;
    }
    pending = text.slice(cut);
    if (complete) yield { records: splitRecords(complete), quoted: false };
    if (next.done) return;
  }
}

const BARE_CR = /\r(?!\n)/;

/** Records of text without quotes or bare CRs: lines at LF (a CR before it dropped), fields at commas. */
function splitRecords(text: string): string[][] {
  const rows = text.split('\n');
  if (rows[rows.length - 1] === '') rows.pop(); // the text ends with a line break
  const records = new Array<string[]>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    records[i] = (row.charCodeAt(row.length - 1) === 13 ? row.slice(0, -1) : row).split(',');
  }
  return records;
}

/** csv-parse over `text` and then the rest of the file. */
async function* parsedRecords(
  text: string,
  rest: { chunks: AsyncIterator<Buffer>; decoder: StringDecoder } | undefined,
): AsyncGenerator<{ records: string[][]; quoted: boolean }> {
  const source = Readable.from(
    (async function* () {
      yield text;
      if (!rest) return;
      for (;;) {
        const next = await rest.chunks.next();
        if (next.done) break;
        yield rest.decoder.write(next.value);
      }
      yield rest.decoder.end();
    })(),
  );
  // Quoting stays strict (RFC 4180): a stray quote is an error. csv-parse's `info` option would
  // count lines, but it copies an object per record, which more than doubles parse time.
  const parser = parse({ bom: true, skip_empty_lines: false, relax_column_count: true });
  // pipeline() passes a read error on to the parser, so the loop below ends with it.
  pipeline(source, parser, () => undefined);
  let records: string[][] = [];
  for await (const record of parser as AsyncIterable<string[]>) {
    records.push(record);
    if (records.length >= PARSED_BATCH) {
      yield { records, quoted: true };
      records = [];
    }
  }
  if (records.length > 0) yield { records, quoted: true };
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
