import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOnnxModel, type OnnxModel } from '../../../lib/scoring/onnx/model';
import { releaseInferenceSessions } from '../../../lib/scoring/onnx/sessionCache';
import { InputFileError } from '../../../lib/scoring/tabular/errors';
import { readTable } from '../../../lib/scoring/tabular/readers';
import type { TableChunk } from '../../../lib/scoring/tabular/table';
import { parse as parseSync } from 'csv-parse/sync';
import { buildFeeds } from '../../../lib/scoring/onnx/feeds';
import { planInputs } from '../../../lib/scoring/onnx/inputMapping';
import { errorOf, FEATURES, IRIS_DATA_DIR, IRIS_MODEL_DIR, scoreAll, tempDir, writeFile } from './helpers';

const dir = tempDir();
let model: OnnxModel;
beforeAll(async () => {
  model = await loadOnnxModel(IRIS_MODEL_DIR);
});
afterAll(releaseInferenceSessions);

async function readAll(file: string, chunkRows = 1000, columns?: string[]): Promise<TableChunk[]> {
  const chunks: TableChunk[] = [];
  for await (const chunk of readTable(file, { chunkRows, columns })) chunks.push(chunk);
  return chunks;
}

/** Values of one column over all chunks. */
function column(chunks: TableChunk[], name: string): unknown[] {
  return chunks.flatMap((c) => Array.from(c.columns.get(name) ?? []));
}

const HEADER = FEATURES.join(',');

/** Each row's first feature as buildFeeds converts it, or its error message. */
function buildFeedsPerRow(chunk: TableChunk): (number | string)[] {
  const bindings = planInputs(model, chunk.fileColumns, 'numbers.csv');
  return Array.from({ length: chunk.rowCount }, (_, i) => {
    const row: TableChunk = { ...chunk, firstRow: i, rowCount: 1, columns: new Map([...chunk.columns].map(([k, v]) => [k, [v[i]]])), lines: [chunk.lines![i]!] };
    try {
      return (buildFeeds(bindings, row, 'numbers.csv')['features']!.data as Float32Array)[0]!;
    } catch (err) {
      return (err as Error).message.replace(/^numbers\.csv: /, '');
    }
  });
}

/** Line breaks inside a record's fields. */
const embedded = (record: string[]) => record.reduce((n, f) => n + (f.match(/\n/g)?.length ?? 0), 0);

describe('CSV reader', () => {
  it('reads quoted fields, CRLF, BOM and blank lines, with source line numbers', async () => {
    const file = writeFile(dir, 'ok.csv', `\uFEFFa,"b, with comma",c\r\n1,"2",3\r\n\r\n"4","x ""q""\ny",6\r\n`);
    const [chunk] = await readAll(file);
    expect(chunk!.fileColumns).toEqual(['a', 'b, with comma', 'c']);
    expect(column([chunk!], 'b, with comma')).toEqual(['2', 'x "q"\ny']);
    expect(chunk!.lines).toEqual([2, 4]); // a record's first line
  });

  it('splits large files into chunks with continuous row numbers', async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => `${i},${i * 2}`);
    const file = writeFile(dir, 'big.csv', `i,j\n${rows.join('\n')}\n`);
    const chunks = await readAll(file, 1000, ['j']);
    expect(chunks.map((c) => [c.firstRow, c.rowCount])).toEqual([[0, 1000], [1000, 1000], [2000, 500]]);
    expect([...chunks[0]!.columns.keys()]).toEqual(['j']);
    expect(column(chunks, 'j')[2499]).toBe('4998');
    expect(chunks[2]!.lines![499]).toBe(2501);
  });

  // Quote-free text is split directly; from the first block (1 MiB) with a quote or a bare CR on,
  // csv-parse reads the rest. Both must give what csv-parse alone gives, with the same line numbers.
  it('gives csv-parse\'s records and line numbers whichever path reads them', async () => {
    // One line ending per file: csv-parse takes the first one it sees as the only one.
    const body = (i: number, eol: string) => `${i},${i % 7 === 0 ? ' ' : ''}${(i / 3).toFixed(2)},é${i}${eol}${i % 500 === 0 ? `${eol}  ${eol}` : ''}`;
    const plain = (eol: string) => Array.from({ length: 60_000 }, (_, i) => body(i, eol)).join(''); // about 1.3 MB: two blocks or more
    const cases = {
      'plain.csv': `\uFEFFi,x,s\r\n${plain('\r\n')}`,
      'quote-late.csv': `i,x,s\n${plain('\n')}"60000","6""0\n1",q\n1,2,3\n`,
      'bare-cr.csv': `i,x,s\r${Array.from({ length: 3000 }, (_, i) => `${i},${i},s${i}`).join('\r')}\r`,
    };
    for (const [name, content] of Object.entries(cases)) {
      const chunks = await readAll(writeFile(dir, name, content), 25_000);
      const expected = parseSync(content, { bom: true, skip_empty_lines: false, relax_column_count: true }) as string[][];
      // csv-parse's own line numbers (its `info` option): each kept record's first line.
      const expectedLines = (parseSync(content, { bom: true, skip_empty_lines: false, relax_column_count: true, info: true }) as { record: string[]; info: { lines: number } }[])
        .map(({ record, info }) => ({ record, line: info.lines - embedded(record) }))
        .filter(({ record }) => !(record.length === 1 && record[0]!.trim() === ''))
        .slice(1)
        .map(({ line }) => line);
      const rows = expected.filter((r) => !(r.length === 1 && r[0]!.trim() === '')).slice(1);
      expect(chunks[0]!.fileColumns, name).toEqual(['i', 'x', 's']);
      for (const [j, col] of ['i', 'x', 's'].entries()) expect(column(chunks, col), `${name} ${col}`).toEqual(rows.map((r) => r[j]));
      expect(chunks.flatMap((c) => c.lines!), name).toEqual(expectedLines);
    }
  });

  it.each([
    ['bad-quote.csv', `a,b\n1,"2\n3,4\n`, /bad-quote\.csv: invalid CSV: .*quote/i],
    ['bad-quote2.csv', `a,b\n1,"2"x\n`, /bad-quote2\.csv: invalid CSV: .*line 2/i],
    ['bad-quote3.csv', `a,b\n1,2"x\n`, /bad-quote3\.csv: invalid CSV: Invalid Opening Quote: .*line 2/],
    ['ragged.csv', `a,b\n1,2\n3\n`, /^ragged\.csv: line 3: 1 field\(s\), but the header has 2$/],
    ['spaces.csv', `a,b\n  \n1,2,\n`, /^spaces\.csv: line 3: 3 field\(s\), but the header has 2$/],
    ['empty.csv', '', /empty\.csv: the file is empty \(0 bytes\)/],
    ['blank.csv', '\n\n  \n', /^blank\.csv: no header row/],
    ['header-only.csv', `${HEADER}\n`, /header-only\.csv: has a header row but no data rows/],
    ['dup.csv', `a,a\n1,2\n`, /dup\.csv: line 1: duplicate column name 'a'/],
  ])('%s fails with a clear message', async (name, content, message) => {
    const err = await errorOf(readAll(writeFile(dir, name, content)));
    expect(err).toMatch(message);
  });

  it('counts lines across blank lines and quoted line breaks', async () => {
    const file = writeFile(dir, 'lines.csv', `${HEADER}\n\n5.1,3.5,1.4,0.2\n"6.0\n",3,5,2\n\n  \n7,x,6,2\n`);
    // Lines: 1 header, 2 blank, 3 row 0, 4-5 row 1 (quoted line break), 6-7 blank, 8 row 2.
    expect(await errorOf(scoreAll(model, file))).toBe("lines.csv: row 2 (line 8), column 'sepal_width': 'x' is not a number");
  });

  it('reads decimals, exponents and pandas\' special floats as numbers, and nothing else', async () => {
    const good = ['1', '-1', '+1.5', '.5', '5.', '-.5e3', '1E+2', '1e-2', '007', ' 2 ', '\u00a03\u00a0', 'nan', 'NaN', 'inf', '-Infinity', '+infinity'];
    const bad = ['0x10', '0X1f', '0o7', '0b1', '-0x1', '1_000', '1e', 'e5', '.', '+', '1.2.3', '١', 'Infinityx', '1 2', '0x'];
    const rows = [...good, ...bad].map((v) => `"${v}",1,1,1`).join('\n');
    const file = writeFile(dir, 'numbers.csv', `${HEADER}\n${rows}\n`);
    const chunk = (await readAll(file))[0]!;
    const cells = buildFeedsPerRow(chunk);
    expect(cells.slice(0, good.length)).toEqual([1, -1, 1.5, 0.5, 5, -500, 100, 0.01, 7, 2, 3, NaN, NaN, Infinity, -Infinity, Infinity].map(Math.fround)); // float32 input
    expect(cells.slice(good.length)).toEqual(bad.map((v) => `row ${good.length + bad.indexOf(v)} (line ${good.length + bad.indexOf(v) + 2}), column 'sepal_length': '${v}' is not a number`));
  });

  it('a non-numeric value names the file, row, line, column and value', async () => {
    const file = writeFile(dir, 'text.csv', `${HEADER}\n5.1,3.5,1.4,0.2\n\n6.0,abc,5.0,2.0\n`);
    expect(await errorOf(scoreAll(model, file))).toBe("text.csv: row 1 (line 4), column 'sepal_width': 'abc' is not a number");
  });

  it('an empty cell and a missing column are errors, not NaN', async () => {
    const empty = writeFile(dir, 'emptycell.csv', `${HEADER}\n5.1,,1.4,0.2\n`);
    expect(await errorOf(scoreAll(model, empty))).toBe("emptycell.csv: row 0 (line 2), column 'sepal_width': empty value");
    const missing = writeFile(dir, 'nocol.csv', `sepal_length,sepal_width,petal_length\n5.1,3.5,1.4\n`);
    expect(await errorOf(scoreAll(model, missing))).toMatch(/^nocol\.csv: missing column 'petal_width' needed by model input 'features' \(the file has: sepal_length, sepal_width, petal_length\)/);
  });

  it('accepts extra columns, any column order, NaN, exponents and spaces', async () => {
    const file = writeFile(dir, 'order.csv', `id,petal_width,petal_length,sepal_width,sepal_length\nx,0.2, 1.4 ,3.5,5.1e0\ny,nan,5,3,6\n`);
    const lines = await scoreAll(model, file);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('0,0,order.csv');
  });
});

describe('JSONL reader', () => {
  it('skips blank lines and keeps source line numbers', async () => {
    const file = writeFile(dir, 'ok.jsonl', '\uFEFF{"a":1}\n\n  \n{"a":2,"b":"x"}\n');
    const [chunk] = await readAll(file);
    expect(chunk!.fileColumns).toEqual(['a', 'b']);
    expect(column([chunk!], 'a')).toEqual([1, 2]);
    expect(column([chunk!], 'b')).toEqual([undefined, 'x']);
    expect(chunk!.lines).toEqual([1, 4]);
  });

  it.each([
    ['bad.jsonl', '{"a":1}\n{"a":\n', /^bad\.jsonl: line 2: invalid JSON \(/],
    ['array.jsonl', '{"a":1}\n[1,2]\n', /^array\.jsonl: line 2: expected a JSON object per line, got an array/],
    ['null.jsonl', 'null\n', /^null\.jsonl: line 1: expected a JSON object per line, got null/],
    ['empty.jsonl', '', /^empty\.jsonl: the file is empty \(0 bytes\)/],
    ['blank.jsonl', '\n \n', /^blank\.jsonl: has no JSON lines/],
  ])('%s fails with a clear message', async (name, content, message) => {
    expect(await errorOf(readAll(writeFile(dir, name, content)))).toMatch(message);
  });

  it('a row without a needed key names the row, line and column', async () => {
    const row = (o: object): string => JSON.stringify(o);
    const ok = { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 };
    const file = writeFile(dir, 'hole.jsonl', [row(ok), '', row({ ...ok, petal_width: undefined }), row({ ...ok, sepal_length: 'x' })].join('\n'));
    expect(await errorOf(scoreAll(model, file))).toBe("hole.jsonl: row 1 (line 3), column 'petal_width': missing value");
  });

  it('numbers given as strings are parsed; booleans are not numbers', async () => {
    const ok = { sepal_length: '5.1', sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 };
    expect(await scoreAll(model, writeFile(dir, 'str.jsonl', JSON.stringify(ok)))).toEqual(['0,0,str.jsonl']);
    const bad = writeFile(dir, 'bool.jsonl', JSON.stringify({ ...ok, petal_width: true }));
    expect(await errorOf(scoreAll(model, bad))).toBe("bool.jsonl: row 0 (line 1), column 'petal_width': boolean true is not a number");
  });
});

describe('Parquet reader', () => {
  const rows = Array.from({ length: 300 }, (_, i) => [4 + (i % 40) / 10, 2 + (i % 20) / 10, 1 + (i % 60) / 10, (i % 25) / 10]);
  const writeParquet = async (name: string, options: Record<string, unknown> = {}): Promise<string> => {
    const { parquetWriteBuffer } = await import('hyparquet-writer');
    const buffer = parquetWriteBuffer({
      columnData: [
        ...FEATURES.map((f, j) => ({ name: f, type: 'DOUBLE' as const, data: rows.map((r) => r[j]!) })),
        { name: 'note', type: 'STRING' as const, data: rows.map((_, i) => `row ${i}`) },
      ],
      ...options,
    });
    return writeFile(dir, name, new Uint8Array(buffer));
  };
  let expected: string[];
  beforeAll(async () => {
    expected = (await scoreAll(model, await writeParquet('plain.parquet', { codec: 'UNCOMPRESSED' }))).map((l) => l.replace('plain.parquet', 'X'));
  });

  // Compressors for codecs hyparquet-writer lacks. ZSTD and LZ4_RAW use their formats' stored
  // (uncompressed) block forms: valid streams any reader must accept, written without a library.
  const zstdStored = (input: Uint8Array): Uint8Array => {
    const blocks: number[] = [0x28, 0xb5, 0x2f, 0xfd, 0xa0, ...u32(input.length)];
    for (let at = 0; at === 0 || at < input.length; at += 1 << 17) {
      const block = input.subarray(at, at + (1 << 17));
      const header = (block.length << 3) | (at + block.length >= input.length ? 1 : 0);
      blocks.push(header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff, ...block);
    }
    return Uint8Array.from(blocks);
  };
  const lz4Literals = (input: Uint8Array): Uint8Array => {
    const out = [Math.min(input.length, 15) << 4];
    for (let rest = input.length - 15; rest >= 0; rest -= 255) out.push(Math.min(rest, 255));
    return Uint8Array.from([...out, ...input]);
  };
  const hasZstdCli = ((): boolean => {
    try {
      execFileSync('zstd', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  it.each([
    ['SNAPPY', {}],
    ['GZIP', { GZIP: (b: Uint8Array) => gzipSync(b) }],
    ['BROTLI', { BROTLI: (b: Uint8Array) => brotliCompressSync(b) }],
    ['ZSTD', { ZSTD: zstdStored }],
    ['LZ4_RAW', { LZ4_RAW: lz4Literals }],
  ])('reads %s-compressed files with the same predictions', async (codec, compressors) => {
    const name = `${codec}.parquet`;
    const file = await writeParquet(name, { codec, compressors });
    const lines = await scoreAll(model, file);
    expect(lines.map((l) => l.replace(name, 'X'))).toEqual(expected);
  });

  it.skipIf(!hasZstdCli)('reads files compressed by a real zstd encoder', async () => {
    const zstd = (b: Uint8Array): Uint8Array => execFileSync('zstd', ['-q', '-c', '-19'], { input: b });
    const file = await writeParquet('zstd-real.parquet', { codec: 'ZSTD', compressors: { ZSTD: zstd } });
    expect((await scoreAll(model, file)).map((l) => l.replace('zstd-real.parquet', 'X'))).toEqual(expected);
  });

  it('reads row group by row group, then in chunks, only the wanted columns', async () => {
    const file = await writeParquet('groups.parquet', { rowGroupSize: 128 });
    const chunks = await readAll(file, 50, ['petal_width', 'absent']);
    expect(chunks.map((c) => [c.firstRow, c.rowCount])).toEqual([
      [0, 50], [50, 50], [100, 28], [128, 50], [178, 50], [228, 28], [256, 44],
    ]);
    expect([...chunks[0]!.columns.keys()]).toEqual(['petal_width']);
    expect(chunks[0]!.fileColumns).toEqual([...FEATURES, 'note']);
    expect(column(chunks, 'petal_width')).toEqual(rows.map((r) => r[3]));
    expect((await scoreAll(model, file, { chunkRows: 50 })).map((l) => l.replace('groups.parquet', 'X'))).toEqual(expected);
  });

  it('a truncated file fails with a clear message', async () => {
    const whole = readFileSync(path.join(IRIS_DATA_DIR, 'iris.parquet'));
    const file = writeFile(dir, 'truncated.parquet', whole.subarray(0, whole.length - 100));
    expect(await errorOf(readAll(file))).toMatch(/^truncated\.parquet: not a readable Parquet file \(.+\)/);
  });

  it('a CSV named .parquet and an empty file fail with clear messages', async () => {
    const fake = writeFile(dir, 'fake.parquet', `${HEADER}\n1,2,3,4\n`);
    expect(await errorOf(readAll(fake))).toMatch(/^fake\.parquet: not a readable Parquet file/);
    expect(await errorOf(readAll(writeFile(dir, 'zero.parquet', '')))).toBe('zero.parquet: the file is empty (0 bytes)');
  });

  it('corrupt page data fails with an error naming the file, not a crash', async () => {
    const file = await writeParquet('corrupt.parquet', { codec: 'GZIP', compressors: { GZIP: (b: Uint8Array) => gzipSync(b) } });
    const bytes = readFileSync(file);
    // Overwrite the middle of the first column's compressed page (after magic and page header).
    bytes.fill(0xff, 40, 200);
    const err = await errorOf(scoreAll(model, writeFile(dir, 'corrupt.parquet', bytes)));
    expect(err).toMatch(/^corrupt\.parquet: /);
  });

  it('a file with no rows and a null value are errors', async () => {
    const { parquetWriteBuffer } = await import('hyparquet-writer');
    const none = parquetWriteBuffer({ columnData: FEATURES.map((name) => ({ name, type: 'DOUBLE' as const, data: [] })) });
    expect(await errorOf(readAll(writeFile(dir, 'norows.parquet', new Uint8Array(none))))).toBe('norows.parquet: the Parquet file has no rows');
    const withNull = parquetWriteBuffer({
      columnData: FEATURES.map((name, j) => ({ name, type: 'DOUBLE' as const, nullable: true, data: j === 2 ? [1.4, null] : [1, 2] })),
    });
    const file = writeFile(dir, 'nulls.parquet', new Uint8Array(withNull));
    expect(await errorOf(scoreAll(model, file))).toBe("nulls.parquet: row 1, column 'petal_length': missing value");
  });
});

describe('file types', () => {
  it('rejects unsupported extensions and missing files with InputFileErrors', async () => {
    const txt = writeFile(dir, 'data.txt', 'a\n1\n');
    await expect(readAll(txt)).rejects.toThrow(InputFileError);
    expect(await errorOf(readAll(txt))).toBe("data.txt: unsupported file type '.txt': the no-code scorer reads .csv, .parquet, .jsonl files");
    expect(await errorOf(readAll(path.join(dir, 'nope.csv')))).toMatch(/^nope\.csv: cannot read file \(ENOENT/);
  });

  it('extensions are case-insensitive', async () => {
    const file = writeFile(dir, 'UPPER.CSV', `${HEADER}\n5.1,3.5,1.4,0.2\n`);
    expect(await scoreAll(model, file)).toEqual(['0,0,UPPER.CSV']);
  });
});

function u32(n: number): number[] {
  return [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
}
