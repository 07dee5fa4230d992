import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite } from '../../devhost/azurite';
import { startLocalIssuer } from '../../devhost/issuer';
import { AppUnderTest } from '../support/appHost';
import { repoRoot } from '../support/devhost';

/**
 * The app in devhost on its own Azurite with a local issuer (as `npm start` runs it), and the
 * studio's local sign-in pointed at that issuer's folder (LOCAL_ISSUER_DIR).
 */
export async function startStudioApp(extraEnv: Record<string, string> = {}): Promise<AppUnderTest> {
  const app = new AppUnderTest();
  const issuerDir = mkdtempSync(join(tmpdir(), 'issuer-'));
  app.azurite = await startAzurite({ location: '', inMemory: true });
  app.issuer = await startLocalIssuer({ dataDir: issuerDir });
  app.blob = BlobServiceClient.fromConnectionString(app.azurite.connectionString);
  app.env = {
    AUTH_ISSUERS: app.issuer.issuer,
    AUTH_AUDIENCES: app.issuer.audience,
    LOCAL_ISSUER_DIR: issuerDir,
    MINI_BATCH_RETRY_DELAY_MS: '100',
    JOB_PROGRESS_INTERVAL_MS: '200',
    SCORING_WORK_DIR: mkdtempSync(join(tmpdir(), 'scoring-')),
    ...extraEnv,
  };
  await app.startHost();
  return app;
}

/**
 * Where the browser tests put their screenshots: docs/studio/ (what docs/studio.md shows) with
 * `STUDIO_SCREENSHOTS=docs`, else a temporary folder, so a test run leaves the work tree clean.
 */
export const screenshotDir = process.env.STUDIO_SCREENSHOTS === 'docs' ? join(repoRoot, 'docs', 'studio') : join(tmpdir(), 'studio-screenshots');
mkdirSync(screenshotDir, { recursive: true });
