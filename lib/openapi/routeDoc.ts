import type { z } from 'zod';

/** One HTTP route as the contract describes it; the registry in functions/ lists one per `app.http`. */
export interface RouteDoc {
  /** The `app.http` function name (the test matches registrations to these). */
  function: string;
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The Functions route, without the `api/` prefix, e.g. `batchEndpoints/{endpoint}/jobs`. */
  route: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** The app role the route needs; none: anonymous. */
  role?: 'BatchEndpoints.Read' | 'BatchEndpoints.Invoke' | 'BatchEndpoints.Manage';
  /** The schema the route validates its JSON body with. */
  body?: z.ZodType;
  /** Header and query parameters (path parameters come from the route). */
  parameters?: { name: string; in: 'query' | 'header'; description: string; type?: 'string' | 'integer'; enum?: string[]; important?: boolean }[];
  /** Success responses by status; every route also answers the error shape. */
  responses: Record<string, { description: string; schema?: z.ZodType; contentType?: string; headers?: Record<string, string> }>;
  /** Custom connectors: shown first (`x-ms-visibility: important`) or hidden (`internal`). */
  visibility?: 'important' | 'advanced' | 'internal';
}
