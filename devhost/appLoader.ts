import fg from 'fast-glob';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { FunctionsCore, installFunctionsCore } from './functionsCore';

/** The public classes of the app's own copy of `@azure/functions` (instances must match it). */
export interface FunctionsLibrary {
  InvocationContext: new (init: Record<string, unknown>) => Record<string, unknown>;
  HttpRequest: new (init: Record<string, unknown>) => unknown;
  HttpResponse: new (init?: Record<string, unknown>) => {
    status: number;
    headers: Headers;
    cookies: unknown[];
    arrayBuffer(): Promise<ArrayBuffer>;
  };
}

export interface LoadedApp {
  dir: string;
  core: FunctionsCore;
  library: FunctionsLibrary;
  files: string[];
}

/**
 * Loads the app the way the real Node worker does: every file matched by `package.json` `main`
 * (a path or a glob) is required, and registrations are captured through `@azure/functions-core`.
 */
export async function loadApp(appDir: string, core = new FunctionsCore()): Promise<LoadedApp> {
  const dir = resolve(appDir);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { main?: string };
  if (!pkg.main) throw new Error(`${join(dir, 'package.json')} has no "main": the host cannot find the app's entry point.`);
  const files = (await fg(pkg.main, { cwd: dir, absolute: true, onlyFiles: true })).sort();
  if (files.length === 0) {
    throw new Error(`package.json "main" (${pkg.main}) matches no file in ${dir}: did you build the app?`);
  }
  installFunctionsCore(core);
  const appRequire = createRequire(join(dir, 'package.json'));
  for (const file of files) {
    try {
      appRequire(file);
    } catch (err) {
      throw new Error(`Worker was unable to load entry point "${file}": ${(err as Error).message}`, { cause: err });
    }
  }
  const library = appRequire('@azure/functions') as FunctionsLibrary;
  return { dir, core, library, files };
}
