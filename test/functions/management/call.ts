import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { inject } from 'vitest';

/** Points the app's storage setting at the test Azurite and gives this file its own registry table. */
export function useTestStorage(table: string, extra: Record<string, string> = {}): void {
  process.env.AzureWebJobsStorage = inject('storageConnectionString');
  process.env.REGISTRY_TABLE = table;
  // Token validation has its own suite (test/lib/auth, test/e2e/security); here the registry is under test.
  process.env.AUTH_DISABLED = 'true';
  Object.assign(process.env, extra);
}

type Handler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

export interface Call {
  method: string;
  path: string;
  params?: Record<string, string>;
  /** Sent as JSON text. */
  body?: unknown;
  /** Sent exactly as given (malformed JSON, huge bodies). */
  raw?: string;
  headers?: Record<string, string>;
}

/** Calls a handler the way the Functions host would, with the library's public constructors. */
export async function call(handler: Handler, c: Call): Promise<{ status: number; body: any; headers: Headers }> {
  const text = c.raw ?? (c.body === undefined ? undefined : JSON.stringify(c.body));
  const request = new HttpRequest({
    method: c.method,
    url: `http://localhost:7071/api/${c.path}`,
    headers: { 'content-type': 'application/json', ...c.headers },
    params: c.params ?? {},
    ...(text === undefined ? {} : { body: { string: text } }),
  });
  const response = await handler(request, new InvocationContext());
  return { status: response.status ?? 200, body: response.jsonBody, headers: new Headers(response.headers as HeadersInit | undefined) };
}
