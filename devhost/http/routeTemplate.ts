/**
 * Route templates as the Functions host (ASP.NET routing) reads them: literal segments,
 * `{name}`, optional `{name?}`, catch-all `{*rest}`, and the common constraints
 * (`{id:int}`, `{id:guid}`, `{n:alpha}`, `{b:bool}`, `{x:long}`, `{d:double}`, `{x:regex(...)}`).
 */
interface Segment {
  literal?: string;
  param?: string;
  optional?: boolean;
  catchAll?: boolean;
  constraint?: (value: string) => boolean;
}

export interface CompiledRoute {
  template: string;
  segments: Segment[];
  /** Lower sorts first: literals beat parameters, parameters beat optional and catch-all. */
  precedence: number[];
}

const constraints: Record<string, (v: string) => boolean> = {
  int: (v) => /^-?\d+$/.test(v),
  long: (v) => /^-?\d+$/.test(v),
  double: (v) => v.trim() !== '' && !Number.isNaN(Number(v)),
  float: (v) => v.trim() !== '' && !Number.isNaN(Number(v)),
  bool: (v) => /^(true|false)$/i.test(v),
  guid: (v) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(v),
  alpha: (v) => /^[a-z]+$/i.test(v),
};

function parseConstraint(spec: string | undefined): ((v: string) => boolean) | undefined {
  if (!spec) return undefined;
  const checks = spec.split(':').map((part) => {
    const regex = /^regex\((.*)\)$/i.exec(part);
    if (regex) {
      const re = new RegExp(regex[1], 'i');
      return (v: string) => re.test(v);
    }
    const minLength = /^minlength\((\d+)\)$/i.exec(part);
    if (minLength) return (v: string) => v.length >= Number(minLength[1]);
    const maxLength = /^maxlength\((\d+)\)$/i.exec(part);
    if (maxLength) return (v: string) => v.length <= Number(maxLength[1]);
    return constraints[part.toLowerCase()] ?? (() => true);
  });
  return (v) => checks.every((c) => c(v));
}

export function compileRoute(template: string): CompiledRoute {
  const parts = template.replace(/^\/+|\/+$/g, '').split('/').filter((p) => p !== '');
  const segments: Segment[] = parts.map((part) => {
    const m = /^\{(\*{1,2})?([A-Za-z_][\w]*)(?::([^}?]+(?:\([^)]*\))?))?(\?)?\}$/.exec(part);
    if (!m) {
      if (part.includes('{')) throw new Error(`Route template '${template}' has an unsupported segment '${part}'`);
      return { literal: part.toLowerCase() };
    }
    return { param: m[2], catchAll: !!m[1], optional: !!m[4] || !!m[1], constraint: parseConstraint(m[3]) };
  });
  const precedence = segments.map((s) =>
    s.literal !== undefined ? 0 : s.catchAll ? 4 : s.optional ? 3 : s.constraint ? 1 : 2,
  );
  return { template, segments, precedence };
}

/** Matches a decoded path (without prefix) against a route; returns the parameters or undefined. */
export function matchRoute(route: CompiledRoute, path: string): Record<string, string> | undefined {
  const parts = path.replace(/^\/+|\/+$/g, '').split('/').filter((p) => p !== '');
  const params: Record<string, string> = {};
  let i = 0;
  for (const segment of route.segments) {
    if (segment.catchAll) {
      const rest = parts.slice(i).map(safeDecode);
      if (rest.length) params[segment.param!] = rest.join('/');
      if (segment.constraint && rest.length && !segment.constraint(rest.join('/'))) return undefined;
      return params;
    }
    const part = parts[i];
    if (part === undefined) {
      if (segment.optional) continue;
      return undefined;
    }
    const value = safeDecode(part);
    if (segment.literal !== undefined) {
      if (value.toLowerCase() !== segment.literal) return undefined;
    } else {
      if (segment.constraint && !segment.constraint(value)) return undefined;
      params[segment.param!] = value;
    }
    i++;
  }
  return i === parts.length ? params : undefined;
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** Orders routes so the most specific one is tried first, as ASP.NET routing does. */
export function compareRoutes(a: CompiledRoute, b: CompiledRoute): number {
  const n = Math.max(a.precedence.length, b.precedence.length);
  for (let i = 0; i < n; i++) {
    const pa = a.precedence[i] ?? 5;
    const pb = b.precedence[i] ?? 5;
    if (pa !== pb) return pa - pb;
  }
  return 0;
}
