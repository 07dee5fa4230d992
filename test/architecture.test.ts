import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cyclesOf, fileGraph, folderEdges, importsOf, nodeOf, sourceFiles } from './support/importGraph';
import { repoRoot } from './support/devhost';

// The import rules of docs/architecture.md, checked on the source (tests excluded).

const files = sourceFiles(repoRoot);
const edges = folderEdges(repoRoot, files);
const arrows = [...edges].flatMap(([from, tos]) => [...tos].map(([to, why]) => ({ from, to, why })));

describe('the import graph', () => {
  it('has no cycle between top-level folders and lib folders', () => {
    const graph = new Map([...edges].map(([from, tos]) => [from, [...tos.keys()]]));
    expect(cyclesOf(graph)).toEqual([]);
  });

  it('has no cycle between files, type-only imports included', () => {
    expect(cyclesOf(fileGraph(repoRoot, files))).toEqual([]);
  });

  it('has no arrow into functions/ or orchestrations/ (entry points are leaves), and none from lib/ to app/', () => {
    const wrong = arrows.filter(
      ({ from, to }) => (to === 'functions' || to === 'orchestrations') || (from.startsWith('lib') && to === 'app'),
    );
    expect(wrong.map((a) => a.why)).toEqual([]);
  });

  it('keeps devhost generic: it imports no app code (app, functions, orchestrations, lib)', () => {
    const wrong = arrows.filter(({ from, to }) => from === 'devhost' && (to === 'app' || to === 'functions' || to === 'orchestrations' || to.startsWith('lib')));
    expect(wrong.map((a) => a.why)).toEqual([]);
  });

  it('keeps the CLI a REST client: cli/ imports no app code (app, functions, orchestrations, lib)', () => {
    const wrong = arrows.filter(({ from, to }) => from === 'cli' && (to === 'app' || to === 'functions' || to === 'orchestrations' || to.startsWith('lib')));
    expect(wrong.map((a) => a.why)).toEqual([]);
  });

  it('is the graph docs/architecture.md shows', () => {
    const doc = readFileSync(join(repoRoot, 'docs', 'architecture.md'), 'utf8');
    const block = /<!-- import graph[^\n]*-->\n```\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
    const actual = [...edges].sort(([a], [b]) => (a < b ? -1 : 1)).map(([from, tos]) => `${from} -> ${[...tos.keys()].sort().join(', ')}`);
    expect(block.trim().split('\n')).toEqual(actual);
  });

  it('sees the arrows it checks (the parser finds imports)', () => {
    expect(importsOf(repoRoot, 'orchestrations/jobActivities.ts')).toContain('app/services.ts');
    expect(nodeOf('lib/output/location.ts')).toBe('lib/output');
    expect(arrows.some(({ from, to }) => from === 'lib/jobs' && to === 'lib/output')).toBe(true);
  });
});

describe('settings', () => {
  it('are read from process.env only by app/settings.ts in app, functions, orchestrations and lib', () => {
    // The scoring runtime hands the environment to worker threads and sets NODE_PATH for user code: not settings.
    const allowed = new Set(['app/settings.ts', 'lib/scoring/runtime/scorerPool.ts', 'lib/scoring/runtime/appPackages.ts']);
    const readers = files
      .filter((f) => ['app', 'functions', 'orchestrations', 'lib'].includes(f.split('/')[0]!))
      .filter((f) => /process\.env\b/.test(readFileSync(join(repoRoot, f), 'utf8').replace(/^\s*(\/\/|\*).*$/gm, '')))
      .filter((f) => !allowed.has(f));
    expect(readers).toEqual([]);
  });
});
