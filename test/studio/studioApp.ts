import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../scripts/support/appStack';
import { startApp, type AppStack } from '../support/appHost';

/**
 * The app in devhost on its own Azurite with a local issuer (as `npm start` runs it), and the
 * studio's local sign-in pointed at that issuer's folder (LOCAL_ISSUER_DIR).
 */
export async function startStudioApp(settings: Record<string, string> = {}): Promise<AppStack> {
  const issuerDir = mkdtempSync(join(tmpdir(), 'issuer-'));
  return startApp({ LOCAL_ISSUER_DIR: issuerDir, ...settings }, { issuerDir });
}

/**
 * Where the browser tests put their screenshots: docs/studio/ (what docs/studio.md shows) with
 * `STUDIO_SCREENSHOTS=docs`, else a temporary folder, so a test run leaves the work tree clean.
 */
export const screenshotDir = process.env.STUDIO_SCREENSHOTS === 'docs' ? join(repoRoot, 'docs', 'studio') : join(tmpdir(), 'studio-screenshots');
mkdirSync(screenshotDir, { recursive: true });
