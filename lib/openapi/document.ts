import { z } from 'zod';
import { errorBodySchema } from './shapes';
import type { RouteDoc } from './routeDoc';

/**
 * The API contract, built when asked from the routes' descriptions and the zod schemas the
 * routes validate with (z.toJSONSchema): OpenAPI 3.1 (JSON Schema 2020-12), and OpenAPI 2.0 for
 * Logic Apps / Power Automate custom connectors (which take only 2.0).
 */

export interface ApiInfo {
  title: string;
  version: string;
  description: string;
  /** The app's origin, e.g. `https://func-api-abc.azurewebsites.net`. */
  origin: string;
  /** Entra: the API's App ID URI (the token audience), when known. */
  appIdUri?: string;
}

type Json = Record<string, any>;

/** A zod schema as JSON Schema 2020-12 (what a request may send: `io: 'input'`), inlined. */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): Json {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', reused: 'inline', cycles: 'throw' }) as Json;
  delete json.$schema;
  // Schemas with a registered id come out as $defs + $ref; the document inlines them (no cycles here).
  const defs = (json.$defs ?? {}) as Json;
  delete json.$defs;
  const inline = (value: any): any => {
    if (Array.isArray(value)) return value.map(inline);
    if (!value || typeof value !== 'object') return value;
    const ref = typeof value.$ref === 'string' ? /^#\/\$defs\/(.+)$/.exec(value.$ref) : null;
    if (ref && defs[ref[1]!]) {
      const { $ref: _ref, ...rest } = value;
      return inline({ ...defs[ref[1]!], ...rest });
    }
    return mapValues(value, inline);
  };
  return stripIds(inline(json));
}

function stripIds(value: any): any {
  if (Array.isArray(value)) return value.map(stripIds);
  if (!value || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) if (k !== 'id') out[k] = k === 'properties' ? mapValues(v as Json, stripIds) : stripIds(v);
  return out;
}

const mapValues = (o: Json, f: (v: any) => any): Json => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));

const ROLE_NOTE = (role?: string) => (role ? ` Needs the app role \`${role}\`.` : ' Anonymous.');
const pathParams = (route: string) => [...route.matchAll(/\{([^}:?]+)[^}]*\}/g)].map((m) => m[1]!);
const apiPath = (route: string) => `/api/${route.replace(/\{([^}:?]+)[^}]*\}/g, '{$1}')}`;

function errorStatuses(r: RouteDoc): string[] {
  const statuses = new Set<string>();
  if (r.body || r.parameters?.length) statuses.add('400');
  if (r.role) ['401', '403'].forEach((s) => statuses.add(s));
  if (pathParams(r.route).length) statuses.add('404');
  return [...statuses].filter((s) => !(s in r.responses));
}

const ERROR_TEXT: Record<string, string> = { '400': 'The request is not valid', '401': 'No valid token', '403': 'The token lacks the role', '404': 'Not found' };

/** OpenAPI 3.1. */
export function openApi31(routes: RouteDoc[], info: ApiInfo): Json {
  const paths: Json = {};
  for (const r of routes) {
    const parameters = [
      ...pathParams(r.route).map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
      ...(r.parameters ?? []).map((p) => ({ name: p.name, in: p.in, required: false, description: p.description, schema: { type: p.type ?? 'string', ...(p.enum ? { enum: p.enum } : {}) } })),
    ];
    const responses: Json = {};
    for (const [status, res] of Object.entries(r.responses)) {
      responses[status] = {
        description: res.description,
        ...(res.headers ? { headers: mapValues(res.headers, (d) => ({ description: d, schema: { type: 'string' } })) } : {}),
        ...(res.schema ? { content: { [res.contentType ?? 'application/json']: { schema: jsonSchemaOf(res.schema, 'output') } } } : res.contentType ? { content: { [res.contentType]: { schema: { type: 'string' } } } } : {}),
      };
    }
    for (const status of errorStatuses(r)) responses[status] = { $ref: `#/components/responses/Error${status}` };
    responses.default = { $ref: '#/components/responses/Error' };
    (paths[apiPath(r.route)] ??= {})[r.method.toLowerCase()] = {
      operationId: r.operationId,
      summary: r.summary,
      description: `${r.description ?? r.summary}${ROLE_NOTE(r.role)}`,
      tags: [r.tag],
      ...(parameters.length ? { parameters } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchemaOf(r.body, 'input') } } } } : {}),
      responses,
      ...(r.role ? { security: [{ entra: [] }] } : { security: [] }),
    };
  }
  const error = jsonSchemaOf(errorBodySchema, 'output');
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, description: info.description },
    servers: [{ url: info.origin }],
    paths,
    components: {
      schemas: { ErrorResponse: error },
      responses: {
        Error: { description: 'An error', content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } } },
        ...Object.fromEntries(Object.entries(ERROR_TEXT).map(([s, d]) => [`Error${s}`, { description: d, content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } } }])),
      },
      securitySchemes: {
        entra: {
          type: 'oauth2',
          description: `Microsoft Entra ID bearer token for the API${info.appIdUri ? ` (audience ${info.appIdUri})` : ''}; app roles in the \`roles\` claim.`,
          flows: {
            clientCredentials: { tokenUrl: 'https://login.microsoftonline.com/organizations/oauth2/v2.0/token', scopes: info.appIdUri ? { [`${info.appIdUri}/.default`]: 'the app roles assigned to the caller' } : {} },
          },
        },
      },
    },
    security: [{ entra: [] }],
  };
}

// OpenAPI 2.0 schemas are a subset of JSON Schema draft 4: these keywords survive, the rest is
// dropped (propertyNames, anyOf/oneOf, const becomes enum, null in types becomes x-nullable).
const V2_KEYWORDS = new Set(['type', 'format', 'title', 'description', 'default', 'maximum', 'minimum', 'exclusiveMaximum', 'exclusiveMinimum', 'maxLength', 'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems', 'enum', 'required', 'items', 'allOf', 'properties', 'additionalProperties']);

export function toSchema2(schema: any): Json {
  if (!schema || typeof schema !== 'object') return {};
  const out: Json = {};
  if ('const' in schema) out.enum = [schema.const];
  const variants = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(variants)) {
    const nonNull = variants.filter((v: any) => v?.type !== 'null');
    if (nonNull.length === 1) Object.assign(out, toSchema2(nonNull[0]));
    if (nonNull.length !== variants.length) out['x-nullable'] = true;
    if (nonNull.length > 1) out.description = [schema.description, `One of: ${nonNull.map((v: any) => v.type ?? 'object').join(', ')}.`].filter(Boolean).join(' ');
  }
  for (const [k, v] of Object.entries(schema)) {
    if (!V2_KEYWORDS.has(k)) continue;
    if (k === 'type' && Array.isArray(v)) {
      const types = v.filter((t) => t !== 'null');
      if (types.length === 1) out.type = types[0];
      if (types.length !== v.length) out['x-nullable'] = true;
    } else if (k === 'properties') out.properties = mapValues(v as Json, toSchema2);
    else if (k === 'items') out.items = toSchema2(v);
    else if (k === 'allOf') out.allOf = (v as any[]).map(toSchema2);
    else if (k === 'additionalProperties') out.additionalProperties = typeof v === 'boolean' ? v : toSchema2(v);
    else if ((k === 'exclusiveMinimum' || k === 'exclusiveMaximum') && typeof v === 'number') {
      out[k === 'exclusiveMinimum' ? 'minimum' : 'maximum'] = v;
      out[k] = true;
    } else if (k === 'maximum' && typeof v === 'number' && v >= Number.MAX_SAFE_INTEGER) continue;
    else out[k] = v;
  }
  if (out.type === 'integer' && out.minimum !== undefined && out.minimum <= Number.MIN_SAFE_INTEGER) delete out.minimum;
  return out;
}

/** A summary for a custom connector: at most 80 characters, no trailing period. */
const shortSummary = (s: string) => s.replace(/\.$/, '').slice(0, 80);

/** OpenAPI 2.0 for Logic Apps and Power Automate custom connectors (Entra OAuth first and only). */
export function swagger2(routes: RouteDoc[], info: ApiInfo): Json {
  const origin = new URL(info.origin);
  const paths: Json = {};
  for (const r of routes) {
    const parameters: Json[] = pathParams(r.route).map((name) => ({ name, in: 'path', required: true, type: 'string', 'x-ms-summary': name, 'x-ms-url-encoding': 'single' }));
    for (const p of r.parameters ?? []) {
      parameters.push({ name: p.name, in: p.in, required: false, type: p.type ?? 'string', description: p.description, 'x-ms-summary': p.name, 'x-ms-visibility': p.important ? 'important' : 'advanced', ...(p.enum ? { enum: p.enum } : {}) });
    }
    if (r.body) parameters.push({ name: 'body', in: 'body', required: true, 'x-ms-summary': 'Body', schema: toSchema2(jsonSchemaOf(r.body, 'input')) });
    const responses: Json = {};
    for (const [status, res] of Object.entries(r.responses)) {
      responses[status] = {
        description: res.description,
        ...(res.headers ? { headers: mapValues(res.headers, (d) => ({ description: d, type: 'string' })) } : {}),
        ...(res.schema ? { schema: toSchema2(jsonSchemaOf(res.schema, 'output')) } : res.contentType ? { schema: { type: 'string' } } : {}),
      };
    }
    responses.default = { description: 'An error', schema: { $ref: '#/definitions/ErrorResponse' } };
    const produces = [...new Set(Object.values(r.responses).map((x) => x.contentType ?? 'application/json'))];
    (paths[apiPath(r.route)] ??= {})[r.method.toLowerCase()] = {
      operationId: r.operationId,
      summary: shortSummary(r.summary),
      description: `${r.description ?? r.summary}${ROLE_NOTE(r.role)}`,
      tags: [r.tag],
      'x-ms-visibility': r.visibility ?? 'advanced',
      ...(r.body ? { consumes: ['application/json'] } : {}),
      produces,
      parameters,
      responses,
      ...(r.role ? {} : { security: [] }),
    };
  }
  return {
    swagger: '2.0',
    info: { title: info.title, version: info.version, description: info.description },
    host: origin.host,
    basePath: '/',
    schemes: [origin.protocol.replace(':', '')],
    consumes: ['application/json'],
    produces: ['application/json'],
    paths,
    definitions: { ErrorResponse: toSchema2(jsonSchemaOf(errorBodySchema, 'output')) },
    // Custom connectors use the first security definition only: Entra ID (the "Azure Active Directory" identity provider).
    securityDefinitions: {
      oauth2_auth: {
        type: 'oauth2',
        flow: 'accessCode',
        authorizationUrl: 'https://login.microsoftonline.com/common/oauth2/authorize',
        tokenUrl: 'https://login.windows.net/common/oauth2/authorize',
        scopes: {},
      },
    },
    security: [{ oauth2_auth: [] }],
  };
}
