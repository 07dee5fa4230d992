import { createHook } from 'node:async_hooks';
import { createHash, createHmac, createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableClient } from '@azure/data-tables';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../lib/http/apiError';
import { testOnlyAddressPolicy } from '../../lib/inputs/ipPolicy';
import { checkPublicUrl } from '../../lib/inputs/publicUrlCheck';
import { repoRoot } from '../../scripts/support/appStack';
import { AppStack, startApp, folderInput, samplesDir, type ApiResponse } from '../support/appHost';

/**
 * The security suite, through the real app in devhost (its own Azurite and local OpenID issuer):
 * forged tokens, roles, SSRF, traversal, prototype pollution, body size, malformed files and
 * output quoting. Every refusal also proves that nothing was created.
 */

const READ = 'BatchEndpoints.Read';
const INVOKE = 'BatchEndpoints.Invoke';
const MANAGE = 'BatchEndpoints.Manage';
const DS = 'azureml://datastores/workspaceblobstore/paths';
const EP = 'sec';

let app: AppStack;
let scratch: string; // local temp folder: release files for the gate jobs
let gateA: { id: string; release: string }; // non-terminal jobs to aim cancels at
let gateB: { id: string; release: string };

// ---------------------------------------------------------------------------------------------
// helpers

type Call = { method: string; path: string; body?: unknown };

/** A request with exactly the given Authorization header (or none), never the harness's token. */
function call(op: Call, authorization?: string, query = ''): Promise<ApiResponse> {
  return app.api(op.method, `${op.path}${query}`, op.body, { token: null, headers: authorization ? { authorization } : {} });
}

/** The same request with a token for these roles. */
const as = (roles: string[], op: Call): Promise<ApiResponse> => app.api(op.method, op.path, op.body, { roles });

async function tableKeys(table: string): Promise<string[]> {
  const client = TableClient.fromConnectionString(app.azurite.connectionString, table, { allowInsecureConnection: true });
  const keys: string[] = [];
  try {
    for await (const e of client.listEntities({ queryOptions: { select: ['PartitionKey', 'RowKey'] } })) keys.push(`${e.partitionKey}|${e.rowKey}`);
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
  }
  return keys.sort();
}

/** Everything a refused request could have created: registry rows, jobs, blobs, containers. */
async function snapshot() {
  const read = { roles: [READ] };
  const endpoints = await app.api('GET', 'batchEndpoints', undefined, read);
  const jobs = await app.api('GET', `batchEndpoints/${EP}/jobs?$top=100`, undefined, read);
  const blobs: string[] = [];
  for await (const b of app.workspace().listBlobsFlat()) blobs.push(b.name);
  const containers: string[] = [];
  for await (const c of app.blob.listContainers()) containers.push(c.name);
  return {
    endpoints: endpoints.body.value.map((e: any) => e.name).sort(),
    forgedEndpoint: (await app.api('GET', 'batchEndpoints/forged-ep', undefined, read)).status,
    forgedModel: (await app.api('GET', 'models/forged-model/versions/1', undefined, read)).status,
    jobs: jobs.body.value.map((j: any) => j.name),
    registryRows: await tableKeys('registry'),
    jobRows: await tableKeys('jobs'),
    blobs: blobs.sort(),
    containers: containers.sort(),
  };
}

async function expectUnchanged(before: Awaited<ReturnType<typeof snapshot>>, what: string): Promise<void> {
  expect(await snapshot(), what).toEqual(before);
}

const inputOk = () => folderInput('inputs/ok');
const uniqueOutput = () => ({ OutputData: { score: { JobOutputType: 'UriFile', Uri: `${DS}/results/${randomUUID()}.csv` } } });

/** The operations every bad token is tried on: management writes, invoke, cancel, read. */
const ops = (): Record<string, Call> => ({
  'PUT endpoint': { method: 'PUT', path: 'batchEndpoints/forged-ep', body: { properties: {} } },
  'PUT model': { method: 'PUT', path: 'models/forged-model/versions/1', body: { properties: { modelType: 'custom_model', modelUri: `${DS}/assets/forged` } } },
  invoke: { method: 'POST', path: `batchEndpoints/${EP}/jobs`, body: { properties: { ...inputOk(), ...uniqueOutput() } } },
  cancel: { method: 'POST', path: `batchEndpoints/${EP}/jobs/${gateA.id}/cancel` },
  read: { method: 'GET', path: `batchEndpoints/${EP}/jobs/${gateA.id}` },
});
const NEEDS: Record<string, string> = { 'PUT endpoint': MANAGE, 'PUT model': MANAGE, invoke: INVOKE, cancel: INVOKE, read: READ };

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const parts = (token: string) => token.split('.') as [string, string, string];
const claimsOf = (token: string) => JSON.parse(Buffer.from(parts(token)[1], 'base64url').toString()) as Record<string, unknown>;
const headerOf = (token: string) => JSON.parse(Buffer.from(parts(token)[0], 'base64url').toString()) as Record<string, unknown>;

/** Signs a token with a key the issuer never published (jose is ESM-only: dynamic import). */
async function signWithForeignKey(payload: Record<string, unknown>, kid: string): Promise<string> {
  const jose = await import('jose');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return new jose.SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid }).sign(privateKey);
}

async function job(id: string): Promise<any> {
  return (await app.api('GET', `batchEndpoints/${EP}/jobs/${id}`, undefined, { roles: [READ] })).body;
}

/** Invokes the gate deployment: its one mini-batch waits until `release` exists. */
async function startGateJob(): Promise<{ id: string; release: string }> {
  const release = join(scratch, `release-${randomUUID()}`);
  const res = await app.invoke(EP, { ...inputOk(), ...uniqueOutput(), InputData: { ...inputOk().InputData, release: { JobInputType: 'Literal', Value: release } } }, { 'azureml-model-deployment': 'gate' });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  // Wait until it is Running (its plan written), so later snapshots see only what refused requests did.
  await app.waitUntil('gate job running', async () => (await job(res.body.name)).properties.status === 'Running');
  return { id: res.body.name, release };
}

/** An invoke over one input URI (a UriFile unless `type` says otherwise). */
const invokeWith = (uri: string, type = 'UriFile', extra: Record<string, unknown> = {}) =>
  app.invoke(EP, { InputData: { data: { JobInputType: type, Uri: uri } }, ...extra });

// ---------------------------------------------------------------------------------------------

beforeAll(async () => {
  app = await startApp();
  scratch = mkdtempSync(join(tmpdir(), 'security-'));
  await app.deploy({ endpoint: EP, deployment: 'onnx', modelFolder: join(samplesDir, 'model'), settings: { miniBatchSize: 10, errorThreshold: -1 } });
  // A scoring script that holds its mini-batch until a local file appears: jobs that stay cancelable
  // for as long as the file takes, however slow the machine (no deadline of its own, a timeout of
  // an hour; afterAll releases them).
  const gateCode = join(repoRoot, 'test', 'fixtures', 'scripts', 'e2e', 'gate');
  await app.deploy({ endpoint: EP, deployment: 'gate', modelFolder: join(samplesDir, 'model'), modelType: 'custom_model', codeFolder: gateCode, settings: { retrySettings: { maxRetries: 0, timeout: 'PT25M' } } });
  // deploy() makes the last deployment the default: the tabular one stays the default.
  expect((await app.api('PATCH', `batchEndpoints/${EP}`, { properties: { defaults: { deploymentName: 'onnx' } } })).status).toBe(200);
  await app.upload('inputs/ok', join(samplesDir, 'data'), (n) => n === 'iris-part-1.csv');
  gateA = await startGateJob();
  gateB = await startGateJob();
});

afterAll(async () => {
  // Let the gate jobs finish so the host stops cleanly.
  for (const gate of [gateA, gateB]) if (gate) writeFileSync(gate.release, '');
  await app?.stop();
});

// ---------------------------------------------------------------------------------------------

describe('forged and broken tokens change nothing', () => {
  type Case = { name: string; auth: () => Promise<{ header?: string; query?: string }>; status: 400 | 401 | 403; error?: string; message?: RegExp };
  const bearer = (token: string) => ({ header: `Bearer ${token}` });
  const now = () => Math.floor(Date.now() / 1000);

  const cases: Case[] = [
    { name: 'no token at all', auth: async () => ({}), status: 401, message: /Authorization: Bearer/ },
    { name: 'Basic credentials', auth: async () => ({ header: `Basic ${Buffer.from('admin:admin').toString('base64')}` }), status: 401 },
    { name: 'garbage bearer (Bearer abc)', auth: async () => ({ header: 'Bearer abc' }), status: 401, error: 'invalid_token', message: /well-formed/ },
    { name: 'two tokens in one header', auth: async () => ({ header: 'Bearer abc def' }), status: 400, error: 'invalid_request' },
    { name: 'bare "Bearer"', auth: async () => ({ header: 'Bearer' }), status: 400, error: 'invalid_request' },
    {
      name: 'alg none (unsigned)',
      auth: async () => {
        const valid = await app.issuer.signToken({ roles: [MANAGE] });
        return bearer(`${b64({ alg: 'none', typ: 'JWT', kid: headerOf(valid).kid })}.${parts(valid)[1]}.`);
      },
      status: 401,
      error: 'invalid_token',
      message: /algorithm 'none'/,
    },
    {
      name: "HS256 signed with the issuer's public key as HMAC secret",
      auth: async () => {
        const valid = await app.issuer.signToken({ roles: [MANAGE] });
        const jwks = (await (await fetch(app.issuer.jwksUri)).json()) as { keys: any[] };
        const kid = headerOf(valid).kid as string;
        const pem = createPublicKey({ key: jwks.keys.find((k) => k.kid === kid), format: 'jwk' }).export({ type: 'spki', format: 'pem' });
        const signingInput = `${b64({ alg: 'HS256', typ: 'JWT', kid })}.${parts(valid)[1]}`;
        return bearer(`${signingInput}.${createHmac('sha256', pem).update(signingInput).digest('base64url')}`);
      },
      status: 401,
      error: 'invalid_token',
      message: /algorithm 'HS256'/,
    },
    {
      name: 'unknown kid (a key the issuer never published)',
      auth: async () => bearer(await signWithForeignKey(claimsOf(await app.issuer.signToken({ roles: [MANAGE] })), 'attacker-key-1')),
      status: 401,
      error: 'invalid_token',
      message: /signing key 'attacker-key-1'/,
    },
    {
      name: "the issuer's kid, signed with another key",
      auth: async () => {
        const valid = await app.issuer.signToken({ roles: [MANAGE] });
        return bearer(await signWithForeignKey(claimsOf(valid), headerOf(valid).kid as string));
      },
      status: 401,
      error: 'invalid_token',
      message: /signature/,
    },
    {
      name: 'tampered payload (roles raised, original signature)',
      auth: async () => {
        const [header, , signature] = parts(await app.issuer.signToken({ roles: [READ] }));
        const raised = { ...claimsOf(await app.issuer.signToken({ roles: [READ] })), roles: [MANAGE] };
        return bearer(`${header}.${b64(raised)}.${signature}`);
      },
      status: 401,
      error: 'invalid_token',
      message: /signature/,
    },
    { name: 'wrong iss', auth: async () => bearer(await app.issuer.signToken({ roles: [MANAGE], claims: { iss: 'https://login.microsoftonline.com/evil/v2.0' } })), status: 401, error: 'invalid_token', message: /issuer/ },
    { name: 'wrong aud', auth: async () => bearer(await app.issuer.signToken({ roles: [MANAGE], audience: 'api://some-other-api' })), status: 401, error: 'invalid_token', message: /audience/ },
    // Expired 10 minutes ago: beyond the 300 s skew.
    { name: 'expired', auth: async () => bearer(await app.issuer.signToken({ roles: [MANAGE], issuedAt: now() - 4200, expiresIn: 3600 })), status: 401, error: 'invalid_token', message: /expired/ },
    { name: 'nbf in the future', auth: async () => bearer(await app.issuer.signToken({ roles: [MANAGE], notBeforeIn: 900 })), status: 401, error: 'invalid_token', message: /not valid yet/ },
    { name: 'no oid claim', auth: async () => bearer(await app.issuer.signToken({ roles: [MANAGE], claims: { oid: undefined } })), status: 401, error: 'invalid_token', message: /oid/ },
    // RFC 6750 §2.3 allows it; we refuse it (URLs end up in logs), even with a valid token.
    { name: 'valid token in the query string', auth: async () => ({ query: `?access_token=${await app.issuer.signToken({ roles: [MANAGE] })}` }), status: 400, error: 'invalid_request', message: /query string/ },
    {
      name: 'valid header plus a token in the query string',
      auth: async () => {
        const token = await app.issuer.signToken({ roles: [MANAGE] });
        return { header: `Bearer ${token}`, query: `?access_token=${token}` };
      },
      status: 400,
      error: 'invalid_request',
    },
    { name: 'valid token without any role', auth: async () => bearer(await app.issuer.signToken({ roles: [] })), status: 403, error: 'insufficient_scope' },
  ];

  it.each(cases)('$name: refused on management writes, invoke, cancel and read', async (c) => {
    const before = await snapshot();
    for (const [opName, op] of Object.entries(ops())) {
      const { header, query } = await c.auth();
      const res = await call(op, header, query);
      const what = `${c.name} / ${opName}: ${JSON.stringify(res.body)}`;
      expect(res.status, what).toBe(c.status);
      const challenge = res.headers.get('www-authenticate') ?? '';
      expect(challenge, what).toMatch(/^Bearer realm="batch-endpoints"/);
      if (c.error) expect(challenge, what).toContain(`error="${c.error}"`);
      else expect(challenge, what).not.toContain('error=');
      if (c.message) expect(res.body.error.message, what).toMatch(c.message);
      if (c.status === 403) expect(res.body.error.message, what).toContain(`'${NEEDS[opName]}'`);
    }
    await expectUnchanged(before, c.name);
    expect((await job(gateA.id)).properties.status).not.toMatch(/Cancel/);
  });

  it('accepts a token expired less than the clock skew ago (the skew is small but present)', async () => {
    const token = await app.issuer.signToken({ roles: [READ], issuedAt: now() - 3660, expiresIn: 3600 });
    expect((await call(ops().read, `Bearer ${token}`)).status).toBe(202);
  });
});

describe('roles', () => {
  const endpointWrite = (name: string): Call => ({ method: 'PUT', path: `batchEndpoints/${name}`, body: { properties: {} } });
  const modelWrite = (name: string): Call => ({ method: 'PUT', path: `models/${name}/versions/1`, body: { properties: { modelType: 'custom_model', modelUri: `${DS}/assets/${name}` } } });
  const invokeOp = (): Call => ({ method: 'POST', path: `batchEndpoints/${EP}/jobs`, body: { properties: { ...inputOk(), ...uniqueOutput() } } });
  const cancelOp = (id: string): Call => ({ method: 'POST', path: `batchEndpoints/${EP}/jobs/${id}/cancel` });
  const forbiddenFor = (res: ApiResponse, role: string) => {
    expect(res.status, JSON.stringify(res.body)).toBe(403);
    expect(res.body.error.message).toContain(`'${role}'`);
    expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
  };
  const created: string[] = [];

  it('Read can read, but not invoke, cancel or manage', async () => {
    const before = await snapshot();
    for (const path of ['batchEndpoints', `batchEndpoints/${EP}`, `batchEndpoints/${EP}/deployments`, `batchEndpoints/${EP}/jobs`, 'datastores', `models/${EP}-onnx/versions`]) {
      expect((await as([READ], { method: 'GET', path })).status, path).toBe(200);
    }
    expect((await as([READ], { method: 'GET', path: `batchEndpoints/${EP}/jobs/${gateA.id}` })).status).toBe(202);
    forbiddenFor(await as([READ], invokeOp()), INVOKE);
    forbiddenFor(await as([READ], cancelOp(gateA.id)), INVOKE);
    forbiddenFor(await as([READ], endpointWrite('read-ep')), MANAGE);
    forbiddenFor(await as([READ], modelWrite('read-model')), MANAGE);
    forbiddenFor(await as([READ], { method: 'DELETE', path: `batchEndpoints/${EP}` }), MANAGE);
    await expectUnchanged(before, 'Read');
  });

  it('Invoke can invoke and cancel, but not manage', async () => {
    const before = await snapshot();
    forbiddenFor(await as([INVOKE], endpointWrite('invoke-ep')), MANAGE);
    forbiddenFor(await as([INVOKE], modelWrite('invoke-model')), MANAGE);
    forbiddenFor(await as([INVOKE], { method: 'DELETE', path: `batchEndpoints/${EP}` }), MANAGE);
    forbiddenFor(await as([INVOKE], { method: 'PUT', path: 'datastores/invoke-ds', body: { properties: { datastoreType: 'AzureBlob', accountName: 'acct', containerName: 'c' } } }), MANAGE);
    await expectUnchanged(before, 'Invoke refused to manage');

    const invoked = await as([INVOKE], invokeOp());
    expect(invoked.status, JSON.stringify(invoked.body)).toBe(200);
    created.push(invoked.body.name);
    const canceled = await as([INVOKE], cancelOp(gateA.id));
    expect(canceled.status, JSON.stringify(canceled.body)).toBe(202);
    expect(canceled.body.properties.status).toBe('CancelRequested');
  });

  it('Manage can do everything', async () => {
    expect((await as([MANAGE], endpointWrite('manage-ep'))).status).toBe(201);
    expect((await as([MANAGE], modelWrite('manage-model'))).status).toBe(201);
    const invoked = await as([MANAGE], invokeOp());
    expect(invoked.status).toBe(200);
    created.push(invoked.body.name);
    const canceled = await as([MANAGE], cancelOp(gateB.id));
    expect(canceled.status).toBe(202);
    expect((await as([MANAGE], { method: 'GET', path: `batchEndpoints/${EP}/jobs` })).status).toBe(200);
    expect((await as([MANAGE], { method: 'DELETE', path: 'batchEndpoints/manage-ep' })).status).toBe(200);
  });

  it('an app-only token (managed identity) with the Invoke role invokes, and is recorded as the caller', async () => {
    const oid = randomUUID();
    const token = await app.issuer.signToken({ kind: 'app', roles: [INVOKE], oid, appId: 'logic-app-client-id' });
    expect(claimsOf(token)).toMatchObject({ idtyp: 'app', sub: oid });
    const invoked = await app.api('POST', `batchEndpoints/${EP}/jobs`, invokeOp().body, { token });
    expect(invoked.status, JSON.stringify(invoked.body)).toBe(200);
    expect(invoked.body.properties.createdBy).toMatchObject({ oid, name: 'logic-app-client-id' });
    created.push(invoked.body.name);
    // The same app without a role is refused.
    const roleless = await app.api('POST', `batchEndpoints/${EP}/jobs`, invokeOp().body, { token: await app.issuer.signToken({ kind: 'app', roles: [], oid }) });
    forbiddenFor(roleless, INVOKE);
  });

  it('canceled gate jobs end Canceled, invoked jobs complete (so later snapshots are stable)', async () => {
    for (const gate of [gateA, gateB]) writeFileSync(gate.release, '');
    for (const id of [gateA.id, gateB.id]) expect((await app.waitForJob(EP, id)).properties.status).toBe('Canceled');
    for (const id of created) expect((await app.waitForJob(EP, id)).properties.status).toBe('Completed');
  });
});

// ---------------------------------------------------------------------------------------------

describe('SSRF: public https inputs to non-public addresses are refused at invoke', () => {
  let counter: Server;
  let counter6: Server | undefined;
  let port = 0;
  let connections = 0;

  beforeAll(async () => {
    counter = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((ok) => counter.listen(0, '127.0.0.1', () => ok()));
    port = (counter.address() as { port: number }).port;
    // The same port on ::1, so an [::1] connection would be counted too (when IPv6 loopback exists).
    counter6 = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((ok) => {
      counter6!.once('error', () => {
        counter6 = undefined;
        ok();
      });
      counter6!.listen(port, '::1', () => ok());
    });
  });
  afterAll(() => {
    counter?.close();
    counter6?.close();
  });

  const cases = (): Array<[uri: string, reason: RegExp]> => [
    [`https://127.0.0.1:${port}/data.csv`, /loopback/],
    [`https://localhost:${port}/data.csv`, /localhost resolves to .*loopback/],
    [`https://[::1]:${port}/data.csv`, /loopback/],
    [`https://2130706433:${port}/data.csv`, /127\.0\.0\.1 is loopback/],
    [`https://0x7f000001:${port}/data.csv`, /127\.0\.0\.1 is loopback/],
    [`https://017700000001:${port}/data.csv`, /127\.0\.0\.1 is loopback/],
    [`https://0x7f.1:${port}/data.csv`, /127\.0\.0\.1 is loopback/],
    [`https://[::ffff:127.0.0.1]:${port}/data.csv`, /loopback, IPv4-mapped/],
    [`https://0.0.0.0:${port}/data.csv`, /unspecified/],
    [`https://[::]:${port}/data.csv`, /unspecified/],
    ['https://169.254.169.254/metadata/identity/oauth2/token', /link-local/],
    ['https://[::ffff:169.254.169.254]/latest/meta-data/', /link-local/],
    ['https://10.0.0.1/data.csv', /private/],
    ['https://192.168.1.1/data.csv', /private/],
    ['https://[fd00::1]/data.csv', /unique-local/],
  ];

  it('refuses each target with 400 InputNotAllowed naming the reason; no job; zero connections', async () => {
    const before = await snapshot();
    for (const [uri, reason] of cases()) {
      const res = await invokeWith(uri);
      expect(res.status, `${uri}: ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.body.error.code, uri).toBe('InputNotAllowed');
      expect(res.body.error.message, uri).toMatch(reason);
      expect(res.body.error.message, uri).toMatch(/not a public address/); // the address policy refused it
      expect(res.body.error.target, uri).toBe('properties.inputData.data.uri');
    }
    await expectUnchanged(before, 'SSRF');
    expect(connections).toBe(0);
  });

  it('refuses http:// (only https) and credentials in the URL', async () => {
    const before = await snapshot();
    const http = await invokeWith(`http://127.0.0.1:${port}/data.csv`);
    expect(http.status).toBe(400);
    expect(http.body.error.message).toMatch(/only https:\/\//);
    const creds = await invokeWith(`https://user:secret@127.0.0.1:${port}/data.csv`);
    expect(creds.status).toBe(400);
    expect(creds.body.error.message).toMatch(/user name or password/);
    // A public URL as a folder cannot be listed: refused whatever the host.
    expect((await invokeWith(`https://127.0.0.1:${port}/dir/`, 'UriFolder')).status).toBe(400);
    await expectUnchanged(before, 'http');
    expect(connections).toBe(0);
  });
});

describe('checkPublicUrl (unit, injected resolver: no DNS, no sockets)', () => {
  // Outgoing TCP connect() calls made by this process: a lookup-only check makes none.
  let connects = 0;
  const hook = createHook({
    init(_id, type) {
      if (type === 'TCPCONNECTWRAP') connects++;
    },
  });
  beforeAll(() => hook.enable());
  afterAll(() => hook.disable());

  const refusal = async (p: Promise<unknown>): Promise<ApiError> => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  };
  const resolver = (...addresses: string[]) => {
    const calls: string[] = [];
    const resolve = async (host: string) => {
      calls.push(host);
      return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    };
    return { resolve, calls };
  };

  it('refuses a DNS name that resolves to 127.0.0.1, and one with any non-public answer', async () => {
    const start = connects;
    const one = resolver('127.0.0.1');
    const err = await refusal(checkPublicUrl('https://files.example.test/data.csv', { resolve: one.resolve, field: 'f' }));
    expect(err).toMatchObject({ status: 400, code: 'InputNotAllowed', target: 'f' });
    expect(err.message).toMatch(/files\.example\.test resolves to 127\.0\.0\.1 is loopback/);
    expect(one.calls).toEqual(['files.example.test']);
    const mixed = resolver('93.184.216.34', '169.254.169.254');
    expect((await refusal(checkPublicUrl('https://mixed.example.test/x', { resolve: mixed.resolve }))).message).toMatch(/169\.254\.169\.254 is link-local/);
    expect((await refusal(checkPublicUrl('https://v6.example.test/x', { resolve: resolver('::ffff:10.1.2.3').resolve }))).message).toMatch(/private/);
    expect(connects - start).toBe(0);
  });

  it('allows a name with only public answers, without connecting', async () => {
    const start = connects;
    const url = await checkPublicUrl('https://files.example.test/data.csv?x=1', { resolve: resolver('93.184.216.34', '2606:2800:220:1::1').resolve });
    expect(url.href).toBe('https://files.example.test/data.csv?x=1');
    expect(connects - start).toBe(0);
  });

  it('judges IP literals in every spelling without a lookup', async () => {
    const never = resolver();
    for (const uri of ['https://2130706433/', 'https://0x7f000001/', 'https://017700000001/', 'https://127.1/', 'https://[::ffff:127.0.0.1]/', 'https://0.0.0.0/', 'https://[::]/', 'https://[fe80::1]/']) {
      expect((await refusal(checkPublicUrl(uri, { resolve: never.resolve }))).code, uri).toBe('InputNotAllowed');
    }
    expect(await checkPublicUrl('https://8.8.8.8/x', { resolve: never.resolve })).toBeInstanceOf(URL);
    expect(never.calls).toEqual([]);
  });

  it('refuses other schemes and credentials; a name that does not exist is InvalidInput', async () => {
    const never = resolver();
    expect((await refusal(checkPublicUrl('http://files.example.test/x', { resolve: never.resolve }))).code).toBe('InputNotAllowed');
    expect((await refusal(checkPublicUrl('file:///etc/passwd', { resolve: never.resolve }))).code).toBe('InputNotAllowed');
    expect((await refusal(checkPublicUrl('https://u:p@files.example.test/x', { resolve: never.resolve }))).code).toBe('InvalidInput');
    expect((await refusal(checkPublicUrl('not a url', { resolve: never.resolve }))).code).toBe('InvalidInput');
    const missing = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    expect((await refusal(checkPublicUrl('https://nowhere.example.test/x', { resolve: missing }))).message).toMatch(/does not resolve/);
    expect((await refusal(checkPublicUrl('https://empty.example.test/x', { resolve: resolver().resolve }))).code).toBe('InvalidInput');
  });

  it('does not refuse on a resolver outage or timeout (the download checks again at connect time)', async () => {
    const outage = async () => {
      throw Object.assign(new Error('getaddrinfo EAI_AGAIN'), { code: 'EAI_AGAIN' });
    };
    expect(await checkPublicUrl('https://files.example.test/x', { resolve: outage })).toBeInstanceOf(URL);
    // A resolver that never answers: the check lets go at its lookup timeout, not before and not
    // later (on the test's clock, so a busy machine cannot make the bound fail).
    const hang = () => new Promise<never>(() => undefined);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      let settled = false;
      const check = checkPublicUrl('https://files.example.test/x', { resolve: hang, lookupTimeoutMs: 50 }).finally(() => (settled = true));
      await vi.advanceTimersByTimeAsync(49);
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(settled).toBe(true);
      expect(await check).toBeInstanceOf(URL);
    } finally {
      vi.useRealTimers();
    }
  });

  it('uses the same policy as the download: a test allowlist admits exactly its address:port', async () => {
    const policy = testOnlyAddressPolicy(['127.0.0.1:8443']);
    expect(await checkPublicUrl('https://127.0.0.1:8443/x', { policy })).toBeInstanceOf(URL);
    expect((await refusal(checkPublicUrl('https://127.0.0.1:8444/x', { policy }))).code).toBe('InputNotAllowed');
  });
});

// ---------------------------------------------------------------------------------------------

describe('traversal is refused in inputs, outputs and asset URIs', () => {
  const traversals = (): string[] => {
    const own = app.blob.url.replace(/\/+$/, ''); // the app's own blob service (Azurite form)
    return [
      `${DS}/../x/`,
      `${DS}/inputs/ok/../../x/`,
      `${DS}/inputs/ok/..`,
      `${DS}/%2e%2e/x/`,
      `${DS}/%2E%2E/%2E%2E/x/`,
      `${DS}/..%2fx/`,
      `${DS}/inputs%2F..%2F..%2Fx/`,
      `${DS}/%252e%252e/x/`,
      `${DS}/%252e%252e%252fx/`,
      `${DS}/inputs\\..\\..\\x/`,
      `${DS}/..\\x/`,
      `${DS}/%5c..%5cx/`,
      `${DS}/%2Fetc/passwd/`,
      `${DS}//etc/passwd/`, // absolute: refused, not repaired to etc/passwd
      `${DS}//azure-webjobs-secrets/`,
      `${DS}/inputs/./ok/`,
      `${DS}/inputs//ok/`,
      `${DS}/inputs/ok/%00/`,
      `${DS}/../azure-webjobs-secrets/`, // another container of the same account
      `${DS}/%2e%2e/azure-webjobs-hosts/`,
      'azureml://datastores/../paths/x/',
      'azureml://subscriptions/s/resourcegroups/r/workspaces/w/datastores/workspaceblobstore/paths/../x/',
      `${own}/workspaceblobstore/../azure-webjobs-secrets/`,
      `${own}/workspaceblobstore/%2e%2e/x/`,
      'file:///etc/passwd',
      '/etc/passwd',
      'C:\\Windows\\win.ini',
    ];
  };

  it('in input URIs: 400, no job, nothing written', async () => {
    const before = await snapshot();
    for (const uri of traversals()) {
      const res = await invokeWith(uri, 'UriFolder');
      expect(res.status, `${uri}: ${JSON.stringify(res.body)}`).toBe(400);
      expect(['InvalidInputPath', 'InvalidInput'], uri).toContain(res.body.error.code);
    }
    await expectUnchanged(before, 'input traversal');
  });

  it('in OutputData URIs: 400, no job, nothing written', async () => {
    const before = await snapshot();
    for (const dir of traversals()) {
      const uri = `${dir.replace(/\/$/, '')}/out.csv`;
      const res = await app.invoke(EP, { ...inputOk(), OutputData: { score: { JobOutputType: 'UriFile', Uri: uri } } });
      expect(res.status, `${uri}: ${JSON.stringify(res.body)}`).toBe(400);
      expect(['InvalidInputPath', 'InvalidInput', 'InvalidOutput'], uri).toContain(res.body.error.code);
    }
    await expectUnchanged(before, 'output traversal');
  });

  it("refuses blob URLs into the service's own internal containers (host keys, durable state, job plans)", async () => {
    const before = await snapshot();
    const own = app.blob.url.replace(/\/$/, '');
    for (const container of ['azure-webjobs-secrets', 'azure-webjobs-hosts', 'batchendpointshub-history', 'batch-job-plans']) {
      const input = await invokeWith(`${own}/${container}/`, 'UriFolder');
      expect(input.status, `${container}: ${JSON.stringify(input.body)}`).toBe(400);
      expect(input.body.error.code).toBe('InputNotAllowed');
      const output = await app.invoke(EP, { ...inputOk(), OutputData: { score: { JobOutputType: 'UriFile', Uri: `${own}/${container}/out.csv` } } });
      expect(output.status, `${container} output: ${JSON.stringify(output.body)}`).toBe(400);
      expect(output.body.error.code).toBe('InputNotAllowed');
    }
    await expectUnchanged(before, 'internal containers');
  });

  it('in model, code and data asset URIs at registration: 400, nothing registered', async () => {
    const before = await snapshot();
    const bad = [
      `${DS}/../x`,
      `${DS}/assets/%2e%2e/%2e%2e/x`,
      `${DS}/..%2fx`,
      `${DS}/%252e%252e/x`,
      `${DS}/a\\..\\..\\x`,
      `${DS}/a/./b`,
      `${DS}//abs/x`,
      'https://someacct.blob.core.windows.net/models/../other/x',
    ];
    for (const [i, uri] of bad.entries()) {
      const model = await as([MANAGE], { method: 'PUT', path: `models/trav-model-${i}/versions/1`, body: { properties: { modelType: 'custom_model', modelUri: uri } } });
      expect(model.status, `model ${uri}: ${JSON.stringify(model.body)}`).toBe(400);
      const code = await as([MANAGE], { method: 'PUT', path: `codes/trav-code-${i}/versions/1`, body: { properties: { codeUri: uri } } });
      expect(code.status, `code ${uri}: ${JSON.stringify(code.body)}`).toBe(400);
      const data = await as([MANAGE], { method: 'PUT', path: `data/trav-data-${i}/versions/1`, body: { properties: { dataType: 'uri_folder', dataUri: uri } } });
      expect(data.status, `data ${uri}: ${JSON.stringify(data.body)}`).toBe(400);
    }
    await expectUnchanged(before, 'asset traversal');
  });
});

// ---------------------------------------------------------------------------------------------

describe('prototype pollution', () => {
  const input = `{"data":{"JobInputType":"UriFolder","Uri":"${DS}/inputs/ok/"}}`;
  const invokeBodies = [
    `{"__proto__":{"polluted":"yes"},"properties":{"InputData":${input}}}`,
    `{"properties":{"InputData":${input},"__proto__":{"polluted":"yes"}}}`,
    `{"properties":{"InputData":{"__proto__":{"JobInputType":"UriFolder","Uri":"${DS}/inputs/ok/"}}}}`,
    `{"properties":{"InputData":${input},"tags":{"constructor":{"prototype":{"polluted":"yes"}}}}}`,
    `{"properties":{"InputData":${input},"tags":{"prototype":"x"}}}`,
    `{"properties":{"InputData":{"data":{"JobInputType":"UriFolder","Uri":"${DS}/inputs/ok/","constructor":"x"}}}}`,
    // Escaped spelling: JSON.parse still sees the key "__proto__".
    `{"properties":{"InputData":${input},"\\u005f_proto__":{"polluted":"yes"}}}`,
  ];

  it('refuses __proto__ / constructor / prototype keys in invoke and PUT bodies; nothing created; the host still behaves', async () => {
    const before = await snapshot();
    for (const body of invokeBodies) {
      const res = await app.api('POST', `batchEndpoints/${EP}/jobs`, body, { roles: [MANAGE] });
      expect(res.status, body).toBe(400);
      expect(res.body.error.code, body).toBe('ForbiddenJsonKey');
    }
    const puts: Array<[string, string]> = [
      ['batchEndpoints/forged-ep', '{"properties":{"description":"x","__proto__":{"polluted":"yes"}}}'],
      ['batchEndpoints/forged-ep', '{"constructor":{"prototype":{"polluted":"yes"}},"properties":{}}'],
      ['models/forged-model/versions/1', `{"properties":{"modelType":"custom_model","modelUri":"${DS}/assets/x","tags":{"__proto__":{"polluted":"yes"}}}}`],
      [`batchEndpoints/${EP}/deployments/forged`, `{"properties":{"model":"azureml:${EP}-onnx:1","environmentVariables":{"constructor":{"prototype":{"polluted":"yes"}}}}}`],
      ['datastores/forged', '{"properties":{"datastoreType":"AzureBlob","accountName":"acct","containerName":"c","__proto__":{"isWorkspaceStore":true}}}'],
    ];
    for (const [path, body] of puts) {
      const res = await app.api('PUT', path, body, { roles: [MANAGE] });
      expect(res.status, `${path} ${body}`).toBe(400);
      expect(res.body.error.code).toBe('ForbiddenJsonKey');
    }
    await expectUnchanged(before, 'pollution');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined(); // this process (the parse happens in the host)

    // The host still behaves: a polluted Object.prototype would show up as an unknown field or in responses.
    const put = await app.api('PUT', 'batchEndpoints/after-pollution', { properties: { description: 'fine' } }, { roles: [MANAGE] });
    expect(put.status, JSON.stringify(put.body)).toBe(201);
    expect(JSON.stringify(put.body)).not.toContain('polluted');
    const invoked = await app.invoke(EP, { ...inputOk(), ...uniqueOutput() });
    expect(invoked.status, JSON.stringify(invoked.body)).toBe(202);
    expect(JSON.stringify(invoked.body)).not.toContain('polluted');
    expect((await app.waitForJob(EP, invoked.body.name)).properties.status).toBe('Completed');
  });
});

describe('request size', () => {
  it('refuses an invoke body over 256 KiB with 413, by Content-Length or streamed; nothing created', async () => {
    const before = await snapshot();
    const big = JSON.stringify({ properties: { ...inputOk(), description: 'x'.repeat(300 * 1024) } });
    const declared = await app.api('POST', `batchEndpoints/${EP}/jobs`, big, { roles: [MANAGE] });
    expect(declared.status).toBe(413);
    expect(declared.body.error.code).toBe('PayloadTooLarge');

    // Chunked (no Content-Length): the reader must count, not trust the header.
    const token = await app.token([MANAGE]);
    const bytes = new TextEncoder().encode(big);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 16 * 1024) controller.enqueue(bytes.slice(i, i + 16 * 1024));
        controller.close();
      },
    });
    const chunked = await fetch(`${app.host.url}/api/batchEndpoints/${EP}/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);

    const bigPut = await app.api('PUT', 'batchEndpoints/forged-ep', { properties: { description: 'x'.repeat(40 * 1024) } }, { roles: [MANAGE] });
    expect(bigPut.status).toBe(413);
    await expectUnchanged(before, 'size');
  });
});

// ---------------------------------------------------------------------------------------------

describe('hostile files', () => {
  const irisHead = () => readFileSync(join(samplesDir, 'data', 'iris-part-1.csv'), 'utf8').split('\n').slice(0, 4).join('\n') + '\n';
  const header = 'sepal_length,sepal_width,petal_length,petal_width';

  it('malformed inputs fail as items with messages; the job completes and the host stays up', async () => {
    // Deterministic "random" bytes that are not Parquet.
    const junk = Buffer.concat(Array.from({ length: 8 }, (_, i) => createHash('sha256').update(`junk${i}`).digest()));
    await app.uploadText('inputs/hostile/good.csv', irisHead());
    await app.uploadText('inputs/hostile/zero.csv', '');
    await app.uploadText('inputs/hostile/broken.parquet', junk);
    await app.uploadText('inputs/hostile/bad.jsonl', '{"sepal_length": 5.1, "sepal_width": 3.5,\n{not json at all}\n');
    await app.uploadText('inputs/hostile/quoted.csv', `${header}\n"5,1","3.5 ""quoted""",1.4,"0.2\nsecond line"\n`);
    await app.uploadText('inputs/hostile/unterminated.csv', `${header}\n"5.1,3.5,1.4,0.2\n`);

    const invoked = await app.invoke(EP, { ...folderInput('inputs/hostile'), ...uniqueOutput(), errorThreshold: -1, miniBatchSize: 2 });
    expect(invoked.status, JSON.stringify(invoked.body)).toBe(202);
    const job = await app.waitForJob(EP, invoked.body.name);
    expect(job.properties.status).toBe('Completed');
    expect(job.properties.progress).toMatchObject({ itemsTotal: 6, itemsSucceeded: 1, itemsFailed: 5 });

    const errors = await app.api('GET', `batchEndpoints/${EP}/jobs/${invoked.body.name}/errors`, undefined, { roles: [READ] });
    const itemErrors = errors.body.value.flatMap((e: any) => e.itemErrors) as Array<{ file: string; message: string }>;
    const byFile = Object.fromEntries(itemErrors.map((e) => [e.file, e.message]));
    expect(Object.keys(byFile).sort()).toEqual(['bad.jsonl', 'broken.parquet', 'quoted.csv', 'unterminated.csv', 'zero.csv']);
    expect(byFile['zero.csv']).toMatch(/empty/);
    expect(byFile['broken.parquet']).toMatch(/Parquet/);
    for (const [file, message] of Object.entries(byFile)) expect(message, file).toContain(file);

    const health = await fetch(`${app.host.url}/api/health`);
    expect(health.status).toBe(200);
  });

  it('quotes file names with a comma, a quote and a space in the output (RFC 4180)', async () => {
    const odd = 'a,b "c".csv';
    await app.uploadText(`inputs/quoting/${odd}`, irisHead());
    await app.uploadText('inputs/quoting/plain.csv', irisHead());
    const output = `results/quoting-${randomUUID()}.csv`;
    const invoked = await app.invoke(EP, { ...folderInput('inputs/quoting'), OutputData: { score: { JobOutputType: 'UriFile', Uri: `${DS}/${output}` } } });
    expect(invoked.status).toBe(202);
    expect((await app.waitForJob(EP, invoked.body.name)).properties.status).toBe('Completed');
    const text = (await app.readWorkspaceBlob(output))!;
    expect(text).toContain('"a,b ""c"".csv"');
    const rows = parse(text, { relax_column_count: false }) as string[][];
    expect(rows).toHaveLength(6);
    expect(rows.every((r) => r.length === 3)).toBe(true);
    expect(rows.map((r) => r[2])).toEqual([odd, odd, odd, 'plain.csv', 'plain.csv', 'plain.csv']);
    expect(rows.map((r) => r[0])).toEqual(['0', '1', '2', '0', '1', '2']);
  });
});
