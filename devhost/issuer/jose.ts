/**
 * jose v6 is ESM-only and this app compiles to CommonJS, where TypeScript refuses a static
 * import of an ES module; a dynamic `import()` is kept as-is and works. (devhost does not
 * import lib/, so it has its own copy of this loader.)
 */
export type Jose = typeof import('jose', { with: { 'resolution-mode': 'import' } });

let loading: Promise<Jose> | undefined;

export function loadJose(): Promise<Jose> {
  loading ??= import('jose');
  return loading;
}
