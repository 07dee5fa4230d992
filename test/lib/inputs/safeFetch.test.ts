import { createHook } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:net';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testOnlyAddressPolicy } from '../../../lib/inputs/ipPolicy';
import { safeFetch, SafeFetchError, type SafeFetchOptions } from '../../../lib/inputs/safeFetch';
import { startTestServer, type TestServer } from './support/httpsTestServer';

/**
 * Outgoing TCP connection attempts made by this process, to any address. Node creates one
 * TCPCONNECTWRAP per connect() call on a TCP socket (plain or TLS); a lookup refused by the policy
 * never gets that far.
 */
let connectAttempts = 0;
const connectCounter = createHook({
  init(_id, type) {
    if (type === 'TCPCONNECTWRAP') connectAttempts++;
  },
});

/** Runs a download and returns its error together with the connection attempts it made. */
async function refusal(url: string, options: SafeFetchOptions): Promise<{ error: SafeFetchError; connects: number }> {
  const before = connectAttempts;
  const error = await safeFetch(url, options).then(
    (res) => {
      res.body.destroy();
      throw new Error(`expected ${url} to be refused, got HTTP ${res.status}`);
    },
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(SafeFetchError);
  return { error: error as SafeFetchError, connects: connectAttempts - before };
}

let allowed: TestServer; // reachable in tests through the test-only allowlist
let target: TestServer; // never allowlisted: must see zero connections
let silent: Server; // accepts TCP, never speaks TLS
let silentPort = 0;
let allowedRequests = 0;

function routes(req: IncomingMessage, res: ServerResponse): void {
  allowedRequests++;
  const url = new URL(req.url ?? '/', 'https://x');
  const to = url.searchParams.get('to');
  switch (url.pathname) {
    case '/file':
      res.end('hello, public file');
      return;
    case '/redirect':
      res.writeHead(302, { Location: to ?? '/file' });
      res.end();
      return;
    case '/hops': {
      // /hops?n=3 redirects to /hops?n=2 ... /hops?n=0 serves the file.
      const n = Number(url.searchParams.get('n'));
      if (n <= 0) res.end('arrived');
      else res.writeHead(307, { Location: `/hops?n=${n - 1}` }).end();
      return;
    }
    case '/loop':
      res.writeHead(301, { Location: '/loop' }).end();
      return;
    case '/big':
      res.end(Buffer.alloc(2000, 'a'));
      return;
    case '/big-chunked':
      res.write(Buffer.alloc(600, 'a'));
      res.end(Buffer.alloc(600, 'b'));
      return;
    case '/hang':
      return; // never answers
    default:
      res.writeHead(404).end();
  }
}

let options: SafeFetchOptions;
let strict: SafeFetchOptions;

beforeAll(async () => {
  connectCounter.enable();
  allowed = await startTestServer(routes);
  target = await startTestServer();
  silent = createServer(() => undefined);
  await new Promise<void>((ok) => silent.listen(0, '127.0.0.1', () => ok()));
  silentPort = (silent.address() as { port: number }).port;
  const policy = testOnlyAddressPolicy([`127.0.0.1:${allowed.port}`, `[::1]:${allowed.port}`, `127.0.0.1:${silentPort}`]);
  options = { policy, ca: allowed.ca };
  strict = { ca: target.ca }; // the default, strict policy
});

afterAll(async () => {
  connectCounter.disable();
  await allowed.close();
  await target.close();
  silent.close();
});

describe('safeFetch: allowed downloads (test-only allowlist)', () => {
  it('downloads from an allowlisted loopback server over https', async () => {
    const before = connectAttempts;
    const res = await safeFetch(`https://127.0.0.1:${allowed.port}/file`, options);
    expect(res.status).toBe(200);
    expect(await text(res.body)).toBe('hello, public file');
    expect(connectAttempts - before).toBe(1); // the counter sees real connections
  });

  it('connects by host name to the checked address', async () => {
    const res = await safeFetch(`https://localhost:${allowed.port}/file`, options);
    expect(await text(res.body)).toBe('hello, public file');
  });

  it('follows up to 5 redirects, each checked', async () => {
    const res = await safeFetch(`https://127.0.0.1:${allowed.port}/hops?n=5`, options);
    expect(res.url).toBe(`https://127.0.0.1:${allowed.port}/hops?n=0`);
    expect(await text(res.body)).toBe('arrived');
  });
});

describe('safeFetch: refused targets never get a connection', () => {
  const loopbackSpellings = (port: number) => [
    `https://127.0.0.1:${port}/`,
    `https://[::1]:${port}/`,
    `https://0x7f000001:${port}/`,
    `https://2130706433:${port}/`,
    `https://017700000001:${port}/`,
    `https://0x7f.1:${port}/`,
    `https://127.1:${port}/`,
    `https://[::ffff:127.0.0.1]:${port}/`,
    `https://[0:0:0:0:0:ffff:7f00:1]:${port}/`,
  ];

  it('refuses every spelling of a loopback IP before any connection attempt', async () => {
    for (const url of loopbackSpellings(target.port)) {
      const { error, connects } = await refusal(url, strict);
      expect(error.code, url).toBe('BlockedAddress');
      expect(error.message, url).toMatch(/loopback/);
      expect(connects, url).toBe(0);
    }
    expect(target.connections()).toBe(0);
  });

  it.each([
    'https://169.254.169.254/latest/meta-data/',
    'https://10.0.0.1/',
    'https://172.16.5.4/',
    'https://192.168.0.1/',
    'https://100.64.0.1/',
    'https://0.0.0.0/',
    'https://[::]/',
    'https://255.255.255.255/',
    'https://224.0.0.1/',
    'https://[fd00::1]/',
    'https://[fe80::1]/',
    'https://[::ffff:169.254.169.254]/',
    'https://[::ffff:a00:1]/',
  ])('refuses %s in the policy check, with no connection attempt', async (url) => {
    const { error, connects } = await refusal(url, strict);
    expect(error.code).toBe('BlockedAddress');
    expect(connects).toBe(0);
  });

  it('refuses localhost when it resolves, before connecting', async () => {
    const { error, connects } = await refusal(`https://localhost:${target.port}/`, strict);
    expect(error.code).toBe('BlockedAddress');
    expect(connects).toBe(0);
    expect(error.message).toMatch(/localhost resolves to .*loopback/);
    expect(target.connections()).toBe(0);
  });

  it('refuses a DNS name that resolves to 127.0.0.1 (injected resolver)', async () => {
    const resolve = async () => [{ address: '127.0.0.1', family: 4 }];
    const { error, connects } = await refusal(`https://files.example.test:${target.port}/data.csv`, { ...strict, resolve });
    expect(error.code).toBe('BlockedAddress');
    expect(connects).toBe(0);
    expect(target.connections()).toBe(0);
  });

  it('refuses a name when any of its addresses is private, even if another is allowed', async () => {
    const resolve = async () => [
      { address: '127.0.0.1', family: 4 }, // allowlisted below
      { address: '10.0.0.1', family: 4 },
    ];
    const before = allowed.connections();
    const { error, connects } = await refusal(`https://mixed.example.test:${allowed.port}/file`, { ...options, resolve });
    expect(error.message).toMatch(/10\.0\.0\.1/);
    expect(connects).toBe(0);
    expect(allowed.connections()).toBe(before);
  });

  it('refuses a redirect from an allowed server to the metadata service', async () => {
    const to = encodeURIComponent('https://169.254.169.254/latest/meta-data/');
    const { error, connects } = await refusal(`https://127.0.0.1:${allowed.port}/redirect?to=${to}`, options);
    expect(error.code).toBe('BlockedAddress');
    expect(error.url).toBe('https://169.254.169.254/latest/meta-data/');
    expect(connects).toBe(1); // the first hop only
  });

  it('refuses a redirect to another loopback port that is not allowlisted', async () => {
    for (const hop of [`https://127.0.0.1:${target.port}/`, `https://2130706433:${target.port}/`, `https://localhost:${target.port}/`]) {
      const { error } = await refusal(`https://127.0.0.1:${allowed.port}/redirect?to=${encodeURIComponent(hop)}`, options);
      expect(error.code, hop).toBe('BlockedAddress');
    }
    expect(target.connections()).toBe(0);
  });

  it('refuses a redirect to http://', async () => {
    const to = encodeURIComponent(`http://127.0.0.1:${allowed.port}/file`);
    const { error } = await refusal(`https://127.0.0.1:${allowed.port}/redirect?to=${to}`, options);
    expect(error.code).toBe('UnsupportedScheme');
  });
});

describe('safeFetch: other refusals and limits', () => {
  it.each(['http://example.com/a.csv', 'http://2130706433/', 'ftp://example.com/a', 'file:///etc/passwd', 'not a url'])(
    'refuses %s without a connection attempt',
    async (url) => {
      const { error, connects } = await refusal(url, strict);
      expect(['UnsupportedScheme', 'InvalidUrl']).toContain(error.code);
      expect(connects).toBe(0);
    },
  );

  it('refuses credentials in the URL', async () => {
    const { error } = await refusal(`https://user:secret@127.0.0.1:${allowed.port}/file`, options);
    expect(error.code).toBe('InvalidUrl');
  });

  it('stops after 5 redirects', async () => {
    const before = allowedRequests;
    const { error } = await refusal(`https://127.0.0.1:${allowed.port}/loop`, options);
    expect(error.code).toBe('TooManyRedirects');
    expect(allowedRequests - before).toBe(6);
  });

  it('refuses a body larger than maxBytes by Content-Length', async () => {
    const { error } = await refusal(`https://127.0.0.1:${allowed.port}/big`, { ...options, maxBytes: 1000 });
    expect(error.code).toBe('TooLarge');
  });

  it('stops a streamed body once it passes maxBytes', async () => {
    const res = await safeFetch(`https://127.0.0.1:${allowed.port}/big-chunked`, { ...options, maxBytes: 1000 });
    await expect(text(res.body)).rejects.toMatchObject({ code: 'TooLarge' });
  });

  it('reports HTTP errors', async () => {
    const { error } = await refusal(`https://127.0.0.1:${allowed.port}/missing`, options);
    expect(error).toMatchObject({ code: 'HttpStatus', status: 404 });
  });

  it('gives up when the whole download takes too long', async () => {
    const { error } = await refusal(`https://127.0.0.1:${allowed.port}/hang`, { ...options, totalTimeoutMs: 300 });
    expect(error.code).toBe('Timeout');
  });

  it('gives up when the TLS connection does not come up in time', async () => {
    const { error } = await refusal(`https://127.0.0.1:${silentPort}/`, { ...options, connectTimeoutMs: 200 });
    expect(error.code).toBe('Timeout');
    expect(error.message).toMatch(/No connection/);
  });
});
