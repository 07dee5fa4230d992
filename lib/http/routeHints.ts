/** A registered route: its methods and its template (`batchEndpoints/{endpoint}/jobs/{jobId}`, `{*rest}`). */
export interface RouteInfo {
  methods: readonly string[];
  route: string;
}

const segmentsOf = (path: string): string[] => path.split('/').filter(Boolean);

/** Whether a template matches a path (literals case-insensitive, `{x}` one segment, `{*x}` the rest). */
export function matches(template: string, path: string): boolean {
  const t = segmentsOf(template);
  const p = segmentsOf(path);
  for (let i = 0; i < t.length; i++) {
    const seg = t[i]!;
    if (seg.startsWith('{*')) return true;
    const given = p[i];
    if (given === undefined) return false;
    if (!seg.startsWith('{') && seg.toLowerCase() !== given.toLowerCase()) return false;
  }
  return t.length === p.length;
}

/** How many leading segments of a path a template shares (parameters count as shared). */
function sharedPrefix(template: string, path: string): number {
  const t = segmentsOf(template);
  const p = segmentsOf(path);
  let n = 0;
  while (n < t.length && n < p.length && (t[n]!.startsWith('{') || t[n]!.toLowerCase() === p[n]!.toLowerCase())) n++;
  return n;
}

export type RouteMiss =
  | { kind: 'method'; allowed: string[] }
  | { kind: 'route'; nearby: string[] };

/**
 * Why no route took a request: the path exists with other methods (405), or it does not (404),
 * with the routes that share the most leading segments with it (all routes when none does).
 */
export function routeMiss(routes: readonly RouteInfo[], method: string, path: string): RouteMiss {
  const same = routes.filter((r) => matches(r.route, path));
  if (same.length) return { kind: 'method', allowed: [...new Set(same.flatMap((r) => r.methods))].filter((m) => m !== method.toUpperCase()).sort() };
  const scored = routes.map((r) => ({ r, n: sharedPrefix(r.route, path) }));
  const best = Math.max(0, ...scored.map((s) => s.n));
  const nearby = (best === 0 ? scored : scored.filter((s) => s.n === best)).map((s) => `${s.r.methods.join('|')} /api/${s.r.route}`);
  return { kind: 'route', nearby: [...new Set(nearby)].sort() };
}
