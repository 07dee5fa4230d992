import type { Role, TokenSource } from './auth';
import { CliError, serviceError } from './errors';

export const READ: Role[] = ['BatchEndpoints.Read'];
export const INVOKE: Role[] = ['BatchEndpoints.Invoke'];
export const MANAGE: Role[] = ['BatchEndpoints.Manage'];

export interface RequestOptions {
  body?: unknown;
  roles?: Role[];
  headers?: Record<string, string>;
  /** Statuses answered as a result rather than thrown (e.g. 404 for "does it exist?"). */
  accept?: number[];
}

export interface ApiResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/**
 * The service's public REST API (README "User guide"), nothing else: JSON in and out, a bearer
 * token per call, the service's error body turned into a CliError. `--debug` prints each request
 * and answer (without the token) to stderr.
 */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly tokens: TokenSource,
    private readonly debug: (line: string) => void,
  ) {}

  /** `path` is under `/api` (e.g. `batchEndpoints/iris`). */
  url(path: string): string {
    return `${this.baseUrl}/api/${path}`;
  }

  async request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResult<T>> {
    const res = await this.raw(method, path, options);
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    if (text) this.debug(`  body: ${redact(text.length > 2000 ? `${text.slice(0, 2000)}... (${text.length} chars)` : text)}`);
    if (res.status >= 400 && !options.accept?.includes(res.status)) throw serviceError(res.status, body, `${method} ${path}`);
    return { status: res.status, headers: res.headers, body: body as T };
  }

  /** The response as it comes (for downloads): the caller reads the body. */
  async raw(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const url = this.url(path);
    const token = await this.tokens.token(options.roles ?? READ);
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    this.debug(`${method} ${url}${Object.keys(options.headers ?? {}).length ? ` ${JSON.stringify(options.headers)}` : ''}`);
    if (body) this.debug(`  request body: ${body}`);
    const started = Date.now();
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(`Cannot reach ${this.baseUrl}: ${cause?.code ?? cause?.message ?? (err as Error).message}. Check --url (is the app running?).`);
    }
    this.debug(`  -> ${res.status} ${res.statusText} (${Date.now() - started} ms)`);
    return res;
  }

  /** Every item of a list route, following `nextLink` pages. */
  async list<T = any>(path: string, roles: Role[] = READ, limit = Infinity): Promise<T[]> {
    const items: T[] = [];
    let next: string | undefined = path;
    while (next && items.length < limit) {
      const page: ApiResult<{ value: T[]; nextLink?: string }> = await this.request('GET', next, { roles });
      items.push(...(page.body?.value ?? []));
      next = page.body?.nextLink ? this.pathOf(page.body.nextLink) : undefined;
    }
    return items.slice(0, limit);
  }

  /** A nextLink (absolute) as a path under /api. */
  pathOf(link: string): string {
    const u = new URL(link, this.baseUrl);
    return `${u.pathname.replace(/^\/api\//, '')}${u.search}`;
  }
}

export const enc = encodeURIComponent;

/** SAS signatures (the pending upload's) are credentials: --debug shows that one was there, not what it was. */
const redact = (text: string): string => text.replace(/([?&]sig=)[^&"\s]+/g, '$1REDACTED');
