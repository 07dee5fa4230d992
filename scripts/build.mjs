// `npm run build`: compiles the app to dist/ with `tsc --incremental`, and skips tsc altogether
// when nothing changed since the last successful build (so `npm start` on an unchanged tree starts
// in a few seconds); then builds the studio with Vite, skipped the same way (below). Plain
// JavaScript: it runs before anything is compiled.
// - Compiled files whose source is gone are deleted first: the Functions host loads every .js
//   under dist/functions and dist/orchestrations, so a file left from a moved or deleted source
//   would still be registered. (This replaced deleting those folders before each build, which made
//   every build a full one.)
// - A source whose compiled file is missing (part of dist/ deleted) forces a full build: tsc's
//   incremental state records what it emitted, not what is still on disk.
// - "Unchanged": no source, tsconfig.json or package.json is newer than the stamp that the last
//   successful build left (dated when that build started, so an edit made during it counts).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const buildInfo = join(dist, 'tsconfig.tsbuildinfo');
const stamp = join(dist, '.build-ok');
const FOLDERS = ['app', 'functions', 'orchestrations', 'lib', 'devhost', 'bench', 'scripts', 'samples', 'cli'];
const started = new Date();

function* files(dir) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else yield path;
  }
}

/** The compiled file of a source, relative to dist/ (null: not compiled). */
function outputOf(rel) {
  if (rel.endsWith('.d.ts')) return null;
  if (rel.endsWith('.mts')) return rel.slice(0, -4) + '.mjs';
  if (rel.endsWith('.ts')) return rel.slice(0, -3) + '.js';
  return null;
}

/** The sources a compiled file may come from, relative to the repository. */
function sourcesOf(rel) {
  const m = /^(.*)\.(js|mjs)(\.map)?$/.exec(rel);
  if (!m) return null;
  return m[2] === 'mjs' ? [`${m[1]}.mts`] : [`${m[1]}.ts`, `${m[1]}.tsx`];
}

let removed = 0;
for (const folder of FOLDERS) {
  for (const path of files(join(dist, folder))) {
    const sources = sourcesOf(relative(dist, path));
    if (!sources || sources.some((s) => existsSync(join(root, s)))) continue;
    rmSync(path);
    removed++;
  }
}
if (removed) console.log(`build: removed ${removed} compiled file(s) whose source is gone`);

let newest = Math.max(statSync(join(root, 'tsconfig.json')).mtimeMs, statSync(join(root, 'package.json')).mtimeMs);
let missing;
for (const folder of FOLDERS) {
  for (const path of files(join(root, folder))) {
    const out = outputOf(relative(root, path));
    if (!out) continue;
    newest = Math.max(newest, statSync(path).mtimeMs);
    if (!existsSync(join(dist, out))) missing ??= out;
  }
}
if (missing) {
  rmSync(buildInfo, { force: true });
  rmSync(stamp, { force: true });
}
const require = createRequire(import.meta.url);
if (existsSync(stamp) && statSync(stamp).mtimeMs >= newest) {
  console.log('build: up to date');
} else {
  rmSync(stamp, { force: true });
  const result = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.json'), '--incremental'], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
  // The CLI is package.json's bin: executable, as npm links it.
  if (existsSync(join(dist, 'cli', 'main.js'))) chmodSync(join(dist, 'cli', 'main.js'), 0o755);
  writeFileSync(stamp, '');
  utimesSync(stamp, started, started);
}

// The studio (Vite, 6-8 s): rebuilt only when a file under studio/ (sources, index.html, its
// Vite config and tsconfig), package.json or package-lock.json (its packages) is newer than the
// stamp its last successful build left (dist/.studio-build-ok, outside the served folder; removed
// before a build starts, so a failed or interrupted one is redone), or dist/studio has no index.html.
const studioOut = join(dist, 'studio');
const studioStamp = join(dist, '.studio-build-ok');
{
  let studioNewest = Math.max(...['package.json', 'package-lock.json'].map((f) => statSync(join(root, f)).mtimeMs));
  for (const path of files(join(root, 'studio'))) studioNewest = Math.max(studioNewest, statSync(path).mtimeMs);
  if (existsSync(studioStamp) && existsSync(join(studioOut, 'index.html')) && statSync(studioStamp).mtimeMs >= studioNewest) {
    console.log('build: studio up to date');
  } else {
    const studioStarted = new Date();
    rmSync(studioStamp, { force: true });
    const vite = join(dirname(require.resolve('vite/package.json')), 'bin', 'vite.js');
    const result = spawnSync(process.execPath, [vite, 'build', '--config', join(root, 'studio', 'vite.config.mts'), '--logLevel', 'warn'], { stdio: 'inherit', cwd: root });
    if (result.status !== 0) process.exit(result.status ?? 1);
    writeFileSync(studioStamp, '');
    utimesSync(studioStamp, studioStarted, studioStarted);
  }
}
