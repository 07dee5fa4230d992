import type { HttpRequest, HttpResponseInit } from '@azure/functions';

/** What a caller may do: Invoke includes Read; Manage includes everything. */
export type Access = 'Read' | 'Invoke' | 'Manage';

/** Who made a request, recorded on every job and registry change. */
export interface Caller {
  oid: string;
  tid: string;
  name: string;
}

export type Authorization = { ok: true; caller: Caller } | { ok: false; response: HttpResponseInit };

/**
 * Authenticates the request and checks the access it needs.
 * TEMPORARY until Entra validation lands (issue 4): everyone is a local anonymous caller.
 */
export async function authorize(_request: HttpRequest, _access: Access): Promise<Authorization> {
  return { ok: true, caller: { oid: 'local', tid: 'local', name: 'local' } };
}
