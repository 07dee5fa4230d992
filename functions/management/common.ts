import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { readJsonBody } from '../../lib/http/jsonBody';
import { REGISTRY_MAX_BODY_BYTES } from '../../lib/registry/store';

/** An HTTP handler as these files export it (always async, always an init object). */
export type Handler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

/** One registry per worker, shared with the job routes. */
export { registry, uploads } from '../../app/services';

export { handle } from '../shared/handle';

/** Management bodies are small; larger ones could not be stored anyway. */
export const readBody = (request: HttpRequest): Promise<unknown> => readJsonBody(request, { maxBytes: REGISTRY_MAX_BODY_BYTES });

/** Where this app is reached, for absolute URIs such as an endpoint's scoringUri. */
export const baseUrlOf = (request: HttpRequest): string => new URL(request.url).origin;

/** PUT answers 201 when it created the resource, 200 when it replaced (or matched) it. */
export const putResponse = (created: boolean, jsonBody: unknown): HttpResponseInit => ({ status: created ? 201 : 200, jsonBody });

/** DELETE answers 200 when it deleted, 204 when there was nothing to delete (ARM's convention: retries are safe). */
export const deleteResponse = (deleted: boolean): HttpResponseInit => ({ status: deleted ? 200 : 204 });

/** A route parameter (the host always supplies declared ones; '' keeps validation in one place). */
export const param = (request: HttpRequest, name: string): string => request.params[name] ?? '';
