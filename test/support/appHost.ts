import { join } from 'node:path';
import { AppStack, repoRoot, type AppStackOptions } from '../../scripts/support/appStack';

export { AppStack } from '../../scripts/support/appStack';
export { folderInput, type ApiResponse } from '../../scripts/support/appClient';
export const samplesDir = join(repoRoot, 'samples', 'iris');

/**
 * The app as the e2e tests run it (scripts/support/appStack.ts), isolated per test file, with
 * quick mini-batch retries and progress reports so jobs end fast; `settings` add or override.
 */
export function startApp(settings: Record<string, string> = {}, options: Omit<AppStackOptions, 'settings'> = {}): Promise<AppStack> {
  return AppStack.start({ ...options, settings: { MINI_BATCH_RETRY_DELAY_MS: '100', JOB_PROGRESS_INTERVAL_MS: '200', ...settings } });
}
