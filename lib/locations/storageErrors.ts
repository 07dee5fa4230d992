import { ApiError } from '../http/apiError';
import { statusOf } from '../storage/once';

/** Maps a storage error to one a job can show: missing or not readable. Other errors pass through. */
export function storageProblem(err: unknown, what: string): unknown {
  const status = statusOf(err);
  if (status === 404) return new ApiError(400, 'InputNotFound', `${what} was not found.`);
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
