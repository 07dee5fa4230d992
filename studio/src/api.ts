/** The REST API this page talks to (the same one the CLI and scripts use), under /api. */

export interface ArmResource<P = Record<string, any>> {
  id: string;
  name: string;
  type?: string;
  properties: P;
  systemData?: { createdBy?: string; createdAt?: string; lastModifiedAt?: string };
  tags?: Record<string, string>;
}

/** An API error as the page shows it: status, code and message from the `{ error }` body. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly target?: string,
    readonly details: { code: string; message: string; target?: string }[] = [],
  ) {
    super(message);
  }
}

export type TokenSource = () => Promise<string>;

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
}

export class Api {
  constructor(private readonly token: TokenSource) {}

  async raw(method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}): Promise<RawResponse> {
    let res: Response;
    try {
      res = await fetch(`/api/${path}`, {
        method,
        headers: {
          authorization: `Bearer ${await this.token()}`,
          ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
    } catch (err) {
      throw new ApiFailure(0, 'NetworkError', `The API did not answer: ${(err as Error).message}`);
    }
    const text = await res.text();
    if (res.status >= 400) throw failureOf(res.status, text);
    return { status: res.status, headers: res.headers, text };
  }

  async json<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    const res = await this.raw(method, path, { body, headers });
    return (res.text ? JSON.parse(res.text) : undefined) as T;
  }

  get = <T = any>(path: string): Promise<T> => this.json<T>('GET', path);

  async list<P = Record<string, any>>(path: string): Promise<ArmResource<P>[]> {
    return (await this.get<{ value: ArmResource<P>[] }>(path)).value;
  }
}

function failureOf(status: number, text: string): ApiFailure {
  try {
    const { error } = JSON.parse(text) as { error: { code: string; message: string; target?: string; details?: ApiFailure['details'] } };
    if (error?.code) return new ApiFailure(status, error.code, error.message, error.target, error.details ?? []);
  } catch {
    // not an error body
  }
  return new ApiFailure(status, `Http${status}`, text.trim() || `The API answered ${status} with no details.`);
}

export const enc = encodeURIComponent;
