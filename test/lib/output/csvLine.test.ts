import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { csvField, formatOutputLine } from '../../../lib/output/csvLine';

describe('csvField', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\r', '"cr\r"'],
    ['', ''],
    [' spaced ', ' spaced '],
    [null, ''],
    [undefined, ''],
    [1.5, '1.5'],
    [10n ** 20n, '100000000000000000000'],
    [true, 'true'],
    [new Date('2024-01-02T03:04:05Z'), '2024-01-02T03:04:05.000Z'],
    [[1, 'a'], '"[1,""a""]"'],
    [{ k: 1n }, '"{""k"":""1""}"'],
  ])('case %#: -> %s', (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });
});

describe('formatOutputLine', () => {
  it('writes strings as-is (one trailing newline dropped)', () => {
    expect(formatOutputLine('already,a "line"')).toBe('already,a "line"');
    expect(formatOutputLine('x\n')).toBe('x');
    expect(formatOutputLine('x\r\n')).toBe('x');
  });

  it('writes arrays and plain objects as rows of fields', () => {
    expect(formatOutputLine([0, 'setosa', 'my file, v2.csv'])).toBe('0,setosa,"my file, v2.csv"');
    expect(formatOutputLine({ file: 'a.csv', rows: 3, note: 'he said "ok"' })).toBe('a.csv,3,"he said ""ok"""');
    expect(formatOutputLine([])).toBe('');
    expect(formatOutputLine(42)).toBe('42');
  });

  it('refuses items that are not strings, arrays, objects or scalars', () => {
    expect(() => formatOutputLine(undefined)).toThrow('an output item must be a string, an array or an object of fields, got undefined');
    expect(() => formatOutputLine(null)).toThrow(/got null/);
    expect(() => formatOutputLine(new Map())).toThrow(/got an instance of Map/);
  });

  it('round-trips through an RFC 4180 parser', () => {
    const rows = [
      [0, 'a,b', 'q"uote'],
      [1, 'multi\nline', ''],
      [2, '"', ',,,'],
    ];
    const text = rows.map((r) => `${formatOutputLine(r)}\n`).join('');
    expect(text.endsWith('\n')).toBe(true);
    expect(parse(text)).toEqual(rows.map((r) => r.map(String)));
  });
});
