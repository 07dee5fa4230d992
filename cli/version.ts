import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The package's version (package.json next to `dist/`, as installed), for `azmlb --version`. */
export function cliVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
