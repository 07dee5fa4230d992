// ESM resolve hook registered in script workers (see appPackages.ts): a bare import that the
// scoring code's own folder cannot satisfy (e.g. `import ort from 'onnxruntime-node'` in a code
// asset downloaded outside the app) is resolved again from the app's location, so scripts can use
// the app's packages. The code folder's own node_modules still wins: it is tried first.
import type { InitializeHook, ResolveHook } from 'node:module';

let fallbackParentURL: string | undefined;

export const initialize: InitializeHook<{ parentURL: string }> = (data) => {
  fallbackParentURL = data.parentURL;
};

export const resolve: ResolveHook = async (specifier, context, nextResolve) => {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    if (!fallbackParentURL || !isBare(specifier) || (err as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    try {
      return await nextResolve(specifier, { ...context, parentURL: fallbackParentURL });
    } catch {
      throw err; // the original error names the script that imported the package
    }
  }
};

/** A package name ('onnxruntime-node', '@scope/pkg/sub'), not a path, URL, node: builtin or '#import'. */
function isBare(specifier: string): boolean {
  return !/^(\.{0,2}\/|#|[a-zA-Z][a-zA-Z\d+.-]*:)/.test(specifier) && specifier !== '.' && specifier !== '..';
}
