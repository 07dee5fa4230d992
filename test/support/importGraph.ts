import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** The app's source folders (tests excluded): what the import rules are about. */
export const SOURCE_FOLDERS = ['app', 'functions', 'orchestrations', 'lib', 'devhost', 'scripts', 'bench', 'samples', 'cli'];

/** Every .ts/.mts file under the folders, as repo-relative paths with '/'. */
export function sourceFiles(root: string, folders = SOURCE_FOLDERS): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (name === 'node_modules') continue;
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.m?ts$/.test(name) && !name.endsWith('.d.ts')) out.push(relative(root, full).split('\\').join('/'));
    }
  };
  for (const f of folders) if (existsSync(join(root, f))) walk(join(root, f));
  return out.sort();
}

/** The relative imports of one file (static, type-only, re-exports, dynamic import() and require()), resolved to files. */
export function importsOf(root: string, file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const info = ts.preProcessFile(text, true, true);
  const targets: string[] = [];
  for (const ref of info.importedFiles) {
    if (!ref.fileName.startsWith('.')) continue;
    const base = resolve(root, dirname(file), ref.fileName).replace(/\.(m?js)$/, '');
    const found = [`${base}.ts`, `${base}.mts`, join(base, 'index.ts')].find((c) => existsSync(c));
    if (found) targets.push(relative(root, found).split('\\').join('/'));
  }
  return [...new Set(targets)];
}

/** The graph node of a file: `lib/<folder>` for lib code, otherwise its top-level folder. */
export function nodeOf(file: string): string {
  const parts = file.split('/');
  if (parts[0] === 'lib') return parts.length > 2 ? `lib/${parts[1]}` : 'lib';
  return parts[0]!;
}

/** Edges between nodes (folder level), each with one file import that makes it. */
export function folderEdges(root: string, files = sourceFiles(root)): Map<string, Map<string, string>> {
  const edges = new Map<string, Map<string, string>>();
  for (const file of files) {
    for (const target of importsOf(root, file)) {
      const from = nodeOf(file);
      const to = nodeOf(target);
      if (from === to) continue;
      if (!edges.has(from)) edges.set(from, new Map());
      if (!edges.get(from)!.has(to)) edges.get(from)!.set(to, `${file} -> ${target}`);
    }
  }
  return edges;
}

/** The cycles of a graph (strongly connected components with more than one node, or a self loop). */
export function cyclesOf(graph: Map<string, Iterable<string>>): string[][] {
  // Tarjan's algorithm.
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const result: string[][] = [];
  const visit = (v: string) => {
    indices.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, indices.get(w)!));
      }
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || [...(graph.get(v) ?? [])].includes(v)) result.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!indices.has(v)) visit(v);
  return result;
}

/** File-level import graph. */
export function fileGraph(root: string, files = sourceFiles(root)): Map<string, string[]> {
  return new Map(files.map((f) => [f, importsOf(root, f)]));
}
