import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The app's version from package.json (found relative to the built file, as deployed). */
export function appVersion(): string {
  for (const dir of [join(__dirname, '..'), join(__dirname, '..', '..')]) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string };
      if (pkg.version) return pkg.version;
    } catch {
      // keep looking one level up: the file runs from dist/lib in a build
    }
  }
  return 'unknown';
}
