import { ChainedTokenCredential, EnvironmentCredential } from '@azure/identity';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../../lib/http/apiError';
import { storageProblem } from '../../../lib/locations/storageErrors';

// An input on another storage account is read with the app's identity. With none (npm start on a
// laptop), @azure/identity's error listed every credential it tried, seven lines, as the job's error.

const VARS = ['AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_CLIENT_CERTIFICATE_PATH', 'AZURE_USERNAME', 'AZURE_PASSWORD'];
const saved: Record<string, string | undefined> = {};

beforeEach(() => {
  for (const v of VARS) {
    saved[v] = process.env[v];
    delete process.env[v];
  }
});
afterEach(() => {
  for (const v of VARS) (saved[v] === undefined ? delete process.env[v] : (process.env[v] = saved[v]));
});

describe('storageProblem', () => {
  it('no Azure identity: one InputNotAccessible error that says what to do, not the credential chain', async () => {
    // A real identity error: the chain's only credential has no settings to work with.
    const err = await new ChainedTokenCredential(new EnvironmentCredential()).getToken('https://storage.azure.com/.default').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    const mapped = storageProblem(err, "The input folder 'https://someaccount.blob.core.windows.net/data/heart/'");
    expect(mapped).toBeInstanceOf(ApiError);
    expect((mapped as ApiError).code).toBe('InputNotAccessible');
    const message = (mapped as ApiError).message;
    expect(message).toMatch(/^The input folder 'https:\/\/someaccount\.blob\.core\.windows\.net\/data\/heart\/' is on another storage account and the service has no Azure identity to read it with \(.*EnvironmentCredential.*\)\./);
    expect(message).toContain('copy the files into the workspaceblobstore datastore');
    expect(message).not.toContain('\n');
  });

  it('other errors keep their mapping (404, 403) or pass through', () => {
    expect((storageProblem(Object.assign(new Error('x'), { statusCode: 404 }), 'The input file a.csv') as ApiError).code).toBe('InputNotFound');
    expect((storageProblem(Object.assign(new Error('x'), { statusCode: 403 }), 'The input file a.csv') as ApiError).code).toBe('InputNotAccessible');
    const other = new Error('socket hang up');
    expect(storageProblem(other, 'The input file a.csv')).toBe(other);
  });
});
