import { ApiError } from '../http/apiError';
import { statusOf } from '../storage/once';

/** @azure/identity's errors: the app got no token at all (no managed identity, no az login). */
const IDENTITY_ERRORS = new Set(['CredentialUnavailableError', 'AggregateAuthenticationError', 'AuthenticationError', 'AuthenticationRequiredError']);

/** Maps a storage error to one a job can show: missing or not readable. Other errors pass through. */
export function storageProblem(err: unknown, what: string): unknown {
  const status = statusOf(err);
  if (status === 404) return new ApiError(400, 'InputNotFound', `${what} was not found.`);
  if (IDENTITY_ERRORS.has((err as Error | undefined)?.name ?? '')) {
    // The identity library's message lists every credential it tried, one line each: the first says enough.
    const first = ((err as Error).message.split('\n').find((l) => /Error|unavailable|failed/i.test(l) && !/^ChainedTokenCredential/.test(l)) ?? (err as Error).message.split('\n')[0])!.trim();
    return new ApiError(
      400,
      'InputNotAccessible',
      `${what} is on another storage account and the service has no Azure identity to read it with (${first}). ` +
        'In Azure the app reads it with its managed identity (grant it "Storage Blob Data Reader" there); run locally, ' +
        'there is none: copy the files into the workspaceblobstore datastore (npm run upload, or azmlb invoke --input <local folder>) and give that URI.',
    );
  }
  if (status === 403 || status === 401) {
    return new ApiError(
      400,
      'InputNotAccessible',
      `${what} cannot be read with the service's identity (HTTP ${status}): grant it "Storage Blob Data Reader" on that storage account or container.`,
    );
  }
  return err;
}

/** The output's form of the same: a 400 when the service's identity may not reach it. */
export function outputAccessProblem(err: unknown, uri: string): unknown {
  const status = statusOf(err);
  if (status === 403 || status === 401) {
    return new ApiError(
      400,
      'OutputNotAccessible',
      `The output '${uri}' cannot be reached with the service's identity (HTTP ${status}): grant it "Storage Blob Data Contributor" there.`,
    );
  }
  return err;
}
