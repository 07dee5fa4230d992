import { existsSync } from 'node:fs';
import Module, { register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

let shared = false;

/**
 * Lets scoring code use the app's packages (e.g. `require('onnxruntime-node')`). Code assets are
 * downloaded outside the app folder, where Node's lookup (node_modules folders up from the
 * script) never reaches the app's node_modules. Packages in the code folder still win: the app's
 * folders are only consulted after the script's own lookup fails.
 * - CommonJS: the app's node_modules folders are appended to NODE_PATH's global lookup folders
 *   (Module._initPaths re-reads NODE_PATH; it is internal but has been stable since Node 0.x).
 * - ESM: a resolve hook (appResolveHooks.mjs) retries failed bare imports from the app's location.
 * Runs once per worker thread, and only in script workers: the hook costs a loader thread.
 */
export function shareAppPackages(): void {
  if (shared) return;
  shared = true;
  const original = process.env['NODE_PATH'];
  process.env['NODE_PATH'] = [original, ...appNodeModules()].filter((p) => p).join(path.delimiter);
  try {
    (Module as unknown as { _initPaths?: () => void })._initPaths?.();
  } finally {
    // The script sees the environment its deployment configured, not ours.
    if (original === undefined) delete process.env['NODE_PATH'];
    else process.env['NODE_PATH'] = original;
  }
  const hooks = path.join(__dirname, 'appResolveHooks.mjs');
  if (existsSync(hooks)) register(pathToFileURL(hooks), { data: { parentURL: pathToFileURL(__filename).href } });
}

/** The node_modules folders that exist from this file's folder up to the root (the app's, in order). */
export function appNodeModules(from: string = __dirname): string[] {
  const found: string[] = [];
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (path.basename(dir) !== 'node_modules') {
      const candidate = path.join(dir, 'node_modules');
      if (existsSync(candidate)) found.push(candidate);
    }
    if (path.dirname(dir) === dir) return found;
  }
}
