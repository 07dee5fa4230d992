import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { ErrorDetail } from '../../lib/http/apiError';
import { readJsonBody } from '../../lib/http/jsonBody';
import { takeAzureOnly, type ResourceKind } from '../../lib/registry/azureOnly';
import { REGISTRY_MAX_BODY_BYTES } from '../../lib/registry/store';

/** An HTTP handler as these files export it (always async, always an init object). */
export type Handler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

/** One registry per worker, shared with the job routes. */
export { registry, uploads } from '../../app/services';

export { handle } from '../shared/handle';

/** Management bodies are small; larger ones could not be stored anyway. */
export const readBody = (request: HttpRequest): Promise<unknown> => readJsonBody(request, { maxBytes: REGISTRY_MAX_BODY_BYTES });

/** A body without its Azure-only fields, and the warnings that say so (also logged). */
export async function readResourceBody(request: HttpRequest, context: InvocationContext, kind: ResourceKind): Promise<{ body: unknown; warnings: ErrorDetail[] }> {
  const taken = takeAzureOnly(await readBody(request), kind);
  for (const w of taken.warnings) context.log(`${request.method} ${new URL(request.url).pathname}: ${w.message}`);
  return taken;
}

/** A response with `warnings` added to its JSON body when there are any (ignored Azure-only fields). */
export function withWarnings(response: HttpResponseInit, warnings: ErrorDetail[]): HttpResponseInit {
  if (!warnings.length) return response;
  return { ...response, jsonBody: { ...(response.jsonBody as object), warnings } };
}

/** Where this app is reached, for absolute URIs such as an endpoint's scoringUri. */
export const baseUrlOf = (request: HttpRequest): string => new URL(request.url).origin;

/** PUT answers 201 when it created the resource, 200 when it replaced (or matched) it. */
export const putResponse = (created: boolean, jsonBody: unknown): HttpResponseInit => ({ status: created ? 201 : 200, jsonBody });

/** DELETE answers 200 when it deleted, 204 when there was nothing to delete (ARM's convention: retries are safe). */
export const deleteResponse = (deleted: boolean): HttpResponseInit => ({ status: deleted ? 200 : 204 });

/** A route parameter (the host always supplies declared ones; '' keeps validation in one place). */
export const param = (request: HttpRequest, name: string): string => request.params[name] ?? '';
