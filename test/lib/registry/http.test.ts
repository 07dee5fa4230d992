import { HttpRequest } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { ApiError, toErrorResponse } from '../../../lib/http/apiError';
import { envelope } from '../../../lib/http/envelope';
import { readJsonBody } from '../../../lib/http/jsonBody';

const request = (body: string | Buffer, headers: Record<string, string> = {}) =>
  new HttpRequest({
    method: 'PUT',
    url: 'http://localhost/api/x',
    headers,
    body: typeof body === 'string' ? { string: body } : { bytes: body },
  });

const failure = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
};

describe('readJsonBody', () => {
  it('parses JSON whatever the content type says', async () => {
    const body = { properties: { a: 1 } };
    for (const type of ['application/json', 'text/plain', 'application/x-www-form-urlencoded']) {
      await expect(readJsonBody(request(JSON.stringify(body), { 'content-type': type }))).resolves.toEqual(body);
    }
  });

  it('accepts a UTF-8 byte order mark', async () => {
    await expect(readJsonBody(request(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":"é"}')])))).resolves.toEqual({ a: 'é' });
  });

  it('refuses malformed JSON with 400 InvalidJson', async () => {
    const err = await failure(readJsonBody(request('{"properties": ')));
    expect([err.status, err.code]).toEqual([400, 'InvalidJson']);
  });

  it('refuses bytes that are not UTF-8', async () => {
    const err = await failure(readJsonBody(request(Buffer.from([0x7b, 0xff, 0x7d]))));
    expect([err.status, err.code]).toEqual([400, 'InvalidJson']);
  });

  it('refuses an empty body unless optional', async () => {
    const err = await failure(readJsonBody(request('  ')));
    expect([err.status, err.code]).toEqual([400, 'MissingBody']);
    await expect(readJsonBody(request(''), { required: false })).resolves.toBeUndefined();
  });

  it.each(['__proto__', 'constructor', 'prototype'])('refuses the key %s anywhere in the body', async (key) => {
    const text = `{"properties":{"tags":{"ok":"1"},"list":[{"${key}":{"polluted":true}}]}}`;
    const err = await failure(readJsonBody(request(text)));
    expect([err.status, err.code]).toEqual([400, 'ForbiddenJsonKey']);
    expect(err.message).toContain(key);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('refuses a body over the limit, by its Content-Length and while streaming', async () => {
    const big = JSON.stringify({ x: 'a'.repeat(2000) });
    const declared = await failure(readJsonBody(request(big, { 'content-length': String(big.length) }), { maxBytes: 1000 }));
    expect([declared.status, declared.code]).toEqual([413, 'PayloadTooLarge']);
    const streamed = await failure(readJsonBody(request(big), { maxBytes: 1000 }));
    expect([streamed.status, streamed.code]).toEqual([413, 'PayloadTooLarge']);
    await expect(readJsonBody(request(big), { maxBytes: 5000 })).resolves.toBeTruthy();
  });
});

describe('toErrorResponse', () => {
  it('sends an ApiError as it is', () => {
    const res = toErrorResponse(new ApiError(400, 'ValidationError', 'bad', 'properties.x', [{ code: 'InvalidField', message: 'm', target: 't' }]));
    expect(res).toEqual({
      status: 400,
      jsonBody: { error: { code: 'ValidationError', message: 'bad', target: 'properties.x', details: [{ code: 'InvalidField', message: 'm', target: 't' }] } },
    });
  });

  it('hides anything else behind a generic 500', () => {
    const res = toErrorResponse(new Error('connection string AccountKey=secret at line 3'));
    expect(res.status).toBe(500);
    expect(res.jsonBody.error.code).toBe('InternalError');
    expect(JSON.stringify(res)).not.toContain('secret');
    expect(JSON.stringify(res)).not.toContain('stack');
  });
});

describe('envelope', () => {
  it('builds the ARM-like envelope, with tags only when given', () => {
    const systemData = { createdBy: 'a', createdAt: 't', lastModifiedAt: 't' };
    expect(envelope({ id: '/api/x/y', name: 'y', type: 'T', properties: { p: 1 }, systemData })).toEqual({
      id: '/api/x/y',
      name: 'y',
      type: 'T',
      properties: { p: 1 },
      systemData,
    });
    expect(envelope({ id: 'i', name: 'n', type: 'T', tags: { k: 'v' }, properties: {}, systemData }).tags).toEqual({ k: 'v' });
  });
});
