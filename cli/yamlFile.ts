import { readFileSync } from 'node:fs';
import { isMap, isNode, LineCounter, parse, parseDocument, type Document } from 'yaml';
import { usageError } from './errors';

/** A YAML file as loaded: its data, and where each key is (for messages with line numbers). */
export interface YamlSpec {
  data: Record<string, unknown>;
  /** `file:line` of a key path, or just the file when unknown (or the data came from --set). */
  where(path: (string | number)[]): string;
}

/** A spec without a file (flags and --set only). */
export const emptySpec = (): YamlSpec => ({ data: {}, where: () => '--set' });

/** Reads a YAML file; a syntax error names the file, line and column. */
export function loadYaml(file: string): YamlSpec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw usageError(`Cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const lines = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const problem = doc.errors[0];
  if (problem) {
    const pos = problem.linePos?.[0];
    const at = pos ? `${file}:${pos.line}:${pos.col}` : file;
    // prettyErrors adds " at line L, column C:" and the lines around it: keep the lines, say where once.
    const [first = '', ...snippet] = problem.message.split('\n');
    const context = snippet.filter((l) => l.trim()).map((l) => `  ${l}`);
    throw usageError([`${at}: invalid YAML: ${first.replace(/ at line \d+, column \d+:?$/, '')}`, ...context].join('\n'));
  }
  const data = doc.toJS() ?? {};
  if (typeof data !== 'object' || Array.isArray(data)) throw usageError(`${file}:1: the file must hold a mapping (key: value lines), not a ${Array.isArray(data) ? 'list' : typeof data}.`);
  return {
    data: data as Record<string, unknown>,
    where: (path) => {
      // The key's own line when it exists, else its nearest parent's.
      for (let n = path.length; n > 0; n--) {
        const parent = n === 1 ? doc.contents : doc.getIn(path.slice(0, n - 1), true);
        if (!isMap(parent)) continue;
        const pair = parent.items.find((p) => isNode(p.key) && String((p.key as { value?: unknown }).value) === String(path[n - 1]));
        const range = pair && isNode(pair.key) ? pair.key.range : undefined;
        if (range) return `${file}:${lines.linePos(range[0]).line}`;
      }
      return file;
    },
  };
}

/** A `--set` value as az reads it: JSON/YAML scalars and objects when they parse, else the text. */
function valueOf(text: string): unknown {
  try {
    return parse(text);
  } catch {
    return text;
  }
}

/** Applies `--set a.b.c=value` assignments (each flag may hold several, space-separated by the shell). */
export function applySets(data: Record<string, unknown>, sets: string[] = []): Record<string, unknown> {
  for (const assignment of sets) {
    const eq = assignment.indexOf('=');
    if (eq <= 0) throw usageError(`--set '${assignment}' must be key.path=value.`);
    const path = assignment.slice(0, eq).split('.');
    if (path.some((p) => p === '')) throw usageError(`--set '${assignment}': the key path has an empty segment.`);
    let node = data;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = valueOf(assignment.slice(eq + 1));
  }
  return data;
}

/** The spec of a create/update: `--file` (if any) with `--set` on top. */
export function specOf(file: string | undefined, sets: string[] | undefined): YamlSpec {
  const spec = file ? loadYaml(file) : emptySpec();
  applySets(spec.data, sets);
  return spec;
}
