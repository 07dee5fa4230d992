import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The compiled worker script. Worker threads run plain JavaScript, so it is always the .js that
 * tsc wrote: next to this file when running from dist/ (the app), or, when this file runs from
 * TypeScript sources (vitest), the copy in dist/ at the same relative place. Tests therefore need
 * a build first (`npm test` builds; or `npx tsc -p .`).
 */
export function scorerWorkerFile(): string {
  const sibling = path.join(__dirname, 'worker.js');
  if (existsSync(sibling)) return sibling;
  const root = path.resolve(__dirname, '..', '..', '..');
  const built = path.join(root, 'dist', path.relative(root, __dirname), 'worker.js');
  if (existsSync(built)) return built;
  throw new Error(`the scoring worker is not built: ${built} does not exist; run "npx tsc -p ." (npm test and npm start build first)`);
}
