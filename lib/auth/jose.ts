/**
 * jose v6 is ESM-only. This app compiles to CommonJS (module Node16), where TypeScript refuses a
 * static `import` of an ES module, so it is loaded once through a dynamic `import()` that
 * TypeScript keeps as-is in the CommonJS output.
 */
export type Jose = typeof import('jose', { with: { 'resolution-mode': 'import' } });

let loading: Promise<Jose> | undefined;

export function loadJose(): Promise<Jose> {
  loading ??= import('jose');
  return loading;
}
