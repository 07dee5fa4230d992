import { describe, expect, it } from 'vitest';
import { parseTimerSchedule } from '../../devhost/triggers/ncrontab';
import { parseBlobPath } from '../../devhost/triggers/pathPattern';
import { decodeMessageText, encodeMessageText } from '../../devhost/triggers/queueEncoding';
import { toTriggerMetadata } from '../../devhost/triggers/triggerMetadata';

describe('blob trigger path patterns', () => {
  it('extracts parameters, greedily, and lists by the literal prefix', () => {
    const p = parseBlobPath('input/{folder}/{name}.csv');
    expect(p).toMatchObject({ container: 'input', prefix: '', parameters: ['folder', 'name'] });
    expect(p.match('a/b/data.v2.csv')).toEqual({ folder: 'a/b', name: 'data.v2' });
    expect(p.match('data.csv')).toBeUndefined();
    expect(p.match('a/data.txt')).toBeUndefined();

    const q = parseBlobPath('samples-workitems/in/{name}');
    expect(q.prefix).toBe('in/');
    expect(q.match('in/x/y.json')).toEqual({ name: 'x/y.json' });
    expect(q.match('out/x')).toBeUndefined();
  });

  it('reads {{ and }} as literal braces, and a bare container as every blob', () => {
    const p = parseBlobPath('images/{{20140101}}-{name}');
    expect(p.prefix).toBe('{20140101}-');
    expect(p.match('{20140101}-cat.png')).toEqual({ name: 'cat.png' });
    expect(parseBlobPath('images').match('any/thing')).toEqual({});
  });

  it('rejects bad containers and parameters', () => {
    expect(() => parseBlobPath('{container}/{name}')).toThrow(/container name/);
    expect(() => parseBlobPath('Images/{name}')).toThrow(/container name/);
    expect(() => parseBlobPath('images/{na me}')).toThrow(/bad parameter/);
    expect(() => parseBlobPath('images/{name}/{name}')).toThrow(/twice/);
  });
});

describe('NCRONTAB schedules', () => {
  const at = (iso: string) => new Date(iso);

  it('computes the next occurrence strictly after a time, with seconds', () => {
    const s = parseTimerSchedule('*/1 * * * * *', 'UTC');
    expect(s.next(at('2024-01-01T00:00:00.000Z')).toISOString()).toBe('2024-01-01T00:00:01.000Z');
    expect(s.next(at('2024-01-01T00:00:00.400Z')).toISOString()).toBe('2024-01-01T00:00:01.000Z');
    expect(parseTimerSchedule('0 */5 * * * *', 'UTC').next(at('2024-01-01T00:05:00.000Z')).toISOString()).toBe('2024-01-01T00:10:00.000Z');
  });

  it('requires both day fields to match when both are restricted, like NCRONTAB', () => {
    const firstMonday = parseTimerSchedule('0 0 9 1-7 * MON', 'UTC');
    const first = firstMonday.next(at('2024-01-01T00:00:00Z'));
    expect(first.toISOString()).toBe('2024-01-01T09:00:00.000Z');
    expect(firstMonday.next(first).toISOString()).toBe('2024-02-05T09:00:00.000Z');
  });

  it('honours the time zone, TimeSpan intervals, and rejects what NCRONTAB does not know', () => {
    expect(parseTimerSchedule('0 0 9 * * *', 'Europe/Paris').next(at('2024-01-10T00:00:00Z')).toISOString()).toBe('2024-01-10T08:00:00.000Z');
    const every5s = parseTimerSchedule('00:00:05', 'UTC');
    expect(every5s.next(at('2024-01-01T00:00:00Z')).toISOString()).toBe('2024-01-01T00:00:05.000Z');
    expect(every5s.adjustForDST).toBe(false);
    expect(() => parseTimerSchedule('0 0 0 L * *', 'UTC')).toThrow(/does not support/);
    expect(() => parseTimerSchedule('0 0 * *', 'UTC')).toThrow(/NCRONTAB/);
  });
});

describe('queue message encoding', () => {
  it('decodes base64, and passes text that is not base64 through', () => {
    expect(decodeMessageText(encodeMessageText('{"a":1}', 'base64'), 'base64')).toBe('{"a":1}');
    expect(decodeMessageText('not base64!', 'base64')).toBe('not base64!');
    expect(decodeMessageText('aGVsbG8=', 'none')).toBe('aGVsbG8=');
  });
});

describe('trigger metadata', () => {
  it('is what @azure/functions makes of the host binding data: JSON parsed, keys camel-cased', () => {
    expect(toTriggerMetadata({ Name: '42', BlobTrigger: 'c/42', Properties: { ContentLength: 3, ETag: '"0x1"' }, Missing: undefined })).toEqual({
      name: 42,
      blobTrigger: 'c/42',
      properties: { contentLength: 3, eTag: '"0x1"' },
    });
  });
});
