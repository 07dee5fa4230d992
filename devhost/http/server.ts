import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FunctionsLibrary } from '../appLoader';
import type { Registration } from '../functionsCore';
import type { Invoker } from '../invoker';
import type { Logger } from '../log';
import { keyAllows, type AuthLevel, type HostKeys } from './keys';
import { compareRoutes, compileRoute, matchRoute, type CompiledRoute } from './routeTemplate';

/** The Functions default request body limit (FUNCTIONS_REQUEST_BODY_SIZE_LIMIT). */
const DEFAULT_MAX_BODY = 100 * 1024 * 1024;

interface HttpFunction {
  reg: Registration;
  route: CompiledRoute;
  methods: Set<string>;
  authLevel: AuthLevel;
}

/** A non-function handler mounted on the same port (Durable webhooks, admin APIs). Returns false if not handled. */
export type ExtraHandler = (req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer) => Promise<boolean>;

export interface HttpHostOptions {
  registrations: Registration[];
  routePrefix: string;
  keys: HostKeys;
  invoker: Invoker;
  library: FunctionsLibrary;
  log: Logger;
  /** Extra inputs (e.g. the durable client) for a registration's invocation. */
  extraInputsFor: (reg: Registration) => Record<string, unknown>;
  extraHandlers: ExtraHandler[];
  maxBodyBytes?: number;
}

export class HttpHost {
  readonly functions: HttpFunction[];
  private server?: Server;
  private inFlight = 0;

  constructor(private readonly options: HttpHostOptions) {
    this.functions = options.registrations
      .filter((reg) => reg.trigger.type.toLowerCase() === 'httptrigger')
      .map((reg) => {
        const trigger = reg.trigger as { route?: string; methods?: string[]; authLevel?: string };
        return {
          reg,
          route: compileRoute(trigger.route ?? reg.name),
          methods: new Set((trigger.methods ?? ['GET', 'POST']).map((m) => m.toUpperCase())),
          authLevel: (trigger.authLevel?.toLowerCase() ?? 'function') as AuthLevel,
        };
      })
      .sort((a, b) => compareRoutes(a.route, b.route));
  }

  async listen(port: number, host: string): Promise<number> {
    this.server = createServer((req, res) => {
      this.inFlight++;
      this.handle(req, res)
        .catch((err: Error) => {
          this.options.log.error(`HTTP ${req.method} ${req.url} failed in the host: ${err.stack ?? err.message}`);
          if (!res.headersSent) send(res, 500, { error: { code: 'HostError', message: 'The host failed to handle the request.' } });
          else res.destroy();
        })
        .finally(() => this.inFlight--);
    });
    this.server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          err.code === 'EADDRINUSE'
            ? new Error(`Port ${port} on ${host} is taken (another host or npm start?): stop it, or pick another port with --port <n> (npm start, devhost) or DEVHOST_PORT.`)
            : err,
        ),
      );
      this.server!.listen(port, host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  /** Stops accepting requests and waits (bounded) for the ones in flight. */
  async close(timeoutMs: number): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      const deadline = Date.now() + timeoutMs;
      const poll = setInterval(() => {
        if (this.inFlight === 0 || Date.now() > deadline) {
          clearInterval(poll);
          server.closeAllConnections();
          resolve();
        }
      }, 50);
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    const limit = this.options.maxBodyBytes ?? DEFAULT_MAX_BODY;
    const body = await readBody(req, limit);
    if (body === 'too-large') {
      send(res, 413, { error: { code: 'PayloadTooLarge', message: `The request body exceeds ${limit} bytes.` } });
      return;
    }
    for (const extra of this.options.extraHandlers) {
      if (await extra(req, res, url, body)) return;
    }
    const prefix = this.options.routePrefix ? `/${this.options.routePrefix}` : '';
    const lowerPath = url.pathname.toLowerCase();
    if (prefix && lowerPath !== prefix && !lowerPath.startsWith(`${prefix.toLowerCase()}/`)) {
      send(res, 404, undefined);
      return;
    }
    const path = url.pathname.slice(prefix.length);
    const method = (req.method ?? 'GET').toUpperCase();
    let methodMismatch = false;
    for (const fn of this.functions) {
      const params = matchRoute(fn.route, path);
      if (!params) continue;
      if (!fn.methods.has(method)) {
        methodMismatch = true;
        continue;
      }
      const presented = firstHeader(req.headers['x-functions-key']) ?? url.searchParams.get('code');
      if (!keyAllows(fn.authLevel, presented, this.options.keys)) {
        send(res, 401, undefined);
        return;
      }
      await this.invoke(fn, req, res, url, params, body);
      return;
    }
    send(res, methodMismatch ? 405 : 404, undefined);
  }

  private async invoke(
    fn: HttpFunction,
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    params: Record<string, string>,
    body: Buffer,
  ): Promise<void> {
    const { library, invoker } = this.options;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const query: Record<string, string> = {};
    url.searchParams.forEach((value, key) => {
      query[key] = value;
    });
    const request = new library.HttpRequest({
      method: req.method ?? 'GET',
      url: url.href,
      headers,
      query,
      params,
      body: body.length ? { bytes: body } : undefined,
    });
    let result: unknown;
    try {
      ({ result } = await invoker.invoke(fn.reg, request, {
        triggerMetadata: { ...params, Query: query, Headers: headers },
        extraInputs: this.options.extraInputsFor(fn.reg),
        reason: `This function was programmatically called via the host APIs.`,
      }));
    } catch {
      // The invoker logged the failure; like the real host, the caller sees a bare 500.
      send(res, 500, undefined);
      return;
    }
    const response =
      result instanceof library.HttpResponse
        ? result
        : new library.HttpResponse((result ?? {}) as Record<string, unknown>);
    const outHeaders: Record<string, string | string[]> = {};
    response.headers.forEach((value, key) => {
      outHeaders[key] = value;
    });
    const cookies = (response.cookies as { name: string; value: string; path?: string; maxAge?: number; httpOnly?: boolean; secure?: boolean; sameSite?: string }[])
      .map((c) => [`${c.name}=${c.value}`, c.path && `Path=${c.path}`, c.maxAge !== undefined && `Max-Age=${c.maxAge}`, c.httpOnly && 'HttpOnly', c.secure && 'Secure', c.sameSite && `SameSite=${c.sameSite}`].filter(Boolean).join('; '));
    if (cookies.length) outHeaders['set-cookie'] = cookies;
    const payload = Buffer.from(await response.arrayBuffer());
    res.writeHead(response.status ?? 200, outHeaders);
    res.end(req.method === 'HEAD' ? undefined : payload);
  }

  /** Lines like `func start` prints for HTTP functions. */
  describe(baseUrl: string): string[] {
    return this.functions.map((fn) => {
      const methods = [...fn.methods].join(',');
      const key = fn.authLevel === 'anonymous' ? '' : `?code=${fn.authLevel === 'admin' ? this.options.keys.masterKey : this.options.keys.functionKey}`;
      const prefix = this.options.routePrefix ? `/${this.options.routePrefix}` : '';
      return `${fn.reg.name}: [${methods}] ${baseUrl}${prefix}/${fn.route.template.replace(/^\/+/, '')}${key}`;
    });
  }
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    return 'too-large';
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.resume();
      return 'too-large';
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (body === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(text);
}
