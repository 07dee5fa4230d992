import { messageOf } from '../../util/messageOf';
import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describeValue } from './describeValue';
import { fatal } from '../../util/fatal';
import { MiniBatchError, thrownStack, type MiniBatchErrorOptions } from './errors';

const SCRIPT_EXTENSIONS = ['.js', '.cjs', '.mjs'];
const LISTED_IN_MESSAGE = 20;
const LISTED_IN_DETAILS = 200;

type ScriptFunction = (...args: unknown[]) => unknown;

/** A loaded scoring module: `run` and optional `init`, called on the object that holds them. */
export interface ScoringScript {
  /** Path relative to the code folder, for messages. */
  name: string;
  holder: Record<string, unknown>;
  init?: ScriptFunction;
  run: ScriptFunction;
}

/** A script that is missing or cannot load fails every mini-batch the same way: fatal. */
const setupError = (code: 'ScriptNotFound' | 'ScriptInvalid', message: string, options?: MiniBatchErrorOptions) =>
  fatal(new MiniBatchError(code, message, options));

/**
 * Loads `scoringScript` from `codeDir` with import(), which takes CommonJS (.js/.cjs, exports
 * arrive as `default` plus detected names) and ES modules (.mjs, or .js under "type": "module").
 * Every failure is a MiniBatchError that says what was wrong and what was found instead, because
 * users only see it in the job's error list ("No module named score" is Azure ML's worst).
 */
export async function loadScoringScript(codeDir: string | undefined, scoringScript: string | undefined): Promise<ScoringScript> {
  if (!codeDir) throw setupError('ScriptNotFound', 'the deployment has no code folder: a scoring-script deployment needs code (codeDir) and a scoringScript');
  if (!scoringScript) throw setupError('ScriptNotFound', "the deployment names no scoring script (scoringScript, e.g. 'score.js')");
  const root = path.resolve(codeDir);
  const file = path.resolve(root, scoringScript);
  const name = path.relative(root, file);
  if (path.isAbsolute(scoringScript) || name === '' || name === '..' || name.startsWith(`..${path.sep}`)) {
    throw setupError('ScriptNotFound', `scoring script '${scoringScript}' must be a file path relative to the code folder, inside it`);
  }
  if (!(await stat(root).catch(() => undefined))?.isDirectory()) {
    throw setupError('ScriptNotFound', `the code folder ${root} does not exist (was the code asset downloaded?)`);
  }
  if (!(await stat(file).catch(() => undefined))?.isFile()) throw await notFound(root, scoringScript);
  checkExtension(name);

  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw await loadError(err, file, name);
  }
  return pickFunctions(namespace, name);
}

async function notFound(root: string, scoringScript: string): Promise<MiniBatchError> {
  const files = await listFiles(root);
  const shown = files.slice(0, LISTED_IN_MESSAGE).join(', ');
  const total = files.length > LISTED_IN_DETAILS ? `over ${LISTED_IN_DETAILS}` : String(files.length);
  const more = files.length > LISTED_IN_MESSAGE ? `, ... (${total} files)` : '';
  const found = files.length === 0 ? 'the code folder is empty' : `files in the code folder: ${shown}${more}`;
  const details = files.length > LISTED_IN_MESSAGE ? files.slice(0, LISTED_IN_DETAILS).join('\n') : undefined;
  return setupError('ScriptNotFound', `scoring script '${scoringScript}' not found in the code folder (${found})`, { details });
}

function checkExtension(name: string): void {
  const ext = path.extname(name).toLowerCase();
  if (SCRIPT_EXTENSIONS.includes(ext)) return;
  const hint =
    ['.ts', '.mts', '.cts'].includes(ext) ? 'it is TypeScript: compile it to JavaScript and point scoringScript at the .js file'
    : ext === '.py' ? 'Python scoring scripts are not supported; write init() and run() in a JavaScript module'
    : 'it must be a JavaScript module';
  throw setupError('ScriptInvalid', `scoring script '${name}' cannot be loaded: ${hint} (${SCRIPT_EXTENSIONS.join(', ')})`);
}

async function loadError(err: unknown, file: string, name: string): Promise<MiniBatchError> {
  const message = messageOf(err);
  const stack = thrownStack(err);
  if (err instanceof SyntaxError) {
    const location = syntaxLocation(stack) ?? (await checkSyntax(file));
    const where = location ? ` at ${location.split('\n')[0]}` : '';
    // Shaped like Node's CommonJS report; the ES module loader's stack shows only Node internals.
    const report = location ? `${location}\n\nSyntaxError: ${message}` : stack;
    return setupError('ScriptInvalid', `scoring script '${name}' has a syntax error${where}: ${message}`, { details: location, stack: report });
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') {
    const first = message.split('\n')[0];
    return setupError(
      'ScriptInvalid',
      `scoring script '${name}' cannot be loaded: ${first}. Packages it uses must be in the code folder (node_modules) or installed with the app`,
      { stack },
    );
  }
  return new MiniBatchError('InitFailed', `scoring script '${name}' threw while loading (top-level code): ${message}`, { stack });
}

/**
 * CommonJS syntax errors carry "file:line", the source line and a caret before the message in
 * their stack; ES module ones do not (Node 20), see checkSyntax.
 */
function syntaxLocation(stack: string | undefined): string | undefined {
  if (!stack || !/^.+:\d+\n/.test(stack)) return undefined;
  const head = stack.slice(0, stack.indexOf('SyntaxError')).trimEnd();
  return head || undefined;
}

/** `node --check` prints where an ES module's syntax error is; import() does not say. */
async function checkSyntax(file: string): Promise<string | undefined> {
  try {
    await promisify(execFile)(process.execPath, ['--check', file], { timeout: 10_000, maxBuffer: 64 * 1024 });
    return undefined; // the error is in a module the script imports; its stack says which
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? '');
    const head = stderr.slice(0, stderr.indexOf('SyntaxError')).trimEnd();
    return /^.+:\d+\n/.test(head) ? head : undefined;
  }
}

function pickFunctions(namespace: Record<string, unknown>, name: string): ScoringScript {
  // ESM: named exports or `export default { init, run }`. CommonJS: names Node detected, or
  // module.exports itself as `default` (e.g. `module.exports = makeScorer()`).
  // The holder is what `this` is in run/init: module.exports for CommonJS, as under require().
  const fallback = namespace['default'];
  const named = namespace['run'];
  const holder =
    isObject(fallback) && (named === undefined ? fallback['run'] !== undefined : fallback['run'] === named) ? fallback : namespace;
  const run = holder['run'];
  if (typeof run !== 'function') {
    const found = exportNames(namespace);
    const what =
      run !== undefined ? `it exports 'run', but run is ${describeValue(run)}, not a function`
      : typeof fallback === 'function' ? 'it exports a single function; export it under the name run'
      : `exports found: ${found.length > 0 ? found.join(', ') : 'none'}`;
    throw setupError(
      'ScriptInvalid',
      `scoring script '${name}' does not export a run function (${what}). Export run(miniBatch, context) and, optionally, init(context): ` +
        'exports.run = async (miniBatch, context) => [...] or export async function run(miniBatch, context)',
    );
  }
  const init = holder['init'];
  if (init !== undefined && typeof init !== 'function') {
    throw setupError('ScriptInvalid', `scoring script '${name}' exports 'init', but init is ${describeValue(init)}, not a function`);
  }
  return { name, holder, run: run as ScriptFunction, init: init as ScriptFunction | undefined };
}

function exportNames(namespace: Record<string, unknown>): string[] {
  const names = new Set(Object.keys(namespace).filter((k) => k !== 'default'));
  const fallback = namespace['default'];
  if (isObject(fallback)) for (const key of Object.keys(fallback)) names.add(key);
  else if (fallback !== undefined) names.add('default');
  return [...names].sort();
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Files under the code folder (relative, sorted), skipping node_modules and dot folders. */
async function listFiles(root: string, limit = LISTED_IN_DETAILS + 1): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (out.length >= limit) return;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (depth < 4 && entry.name !== 'node_modules' && !entry.name.startsWith('.')) await walk(full, depth + 1);
      } else {
        out.push(path.relative(root, full).split(path.sep).join('/'));
      }
    }
  };
  await walk(root, 0);
  return out;
}
