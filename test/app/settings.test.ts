import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultWorkDir, loadSettings, SETTINGS_TABLE, SettingError } from '../../app/settings';
import { settingsTableMarkdown, withSettingsTable } from '../../scripts/settingsTable';
import { repoRoot } from '../support/devhost';

const BASE = { AzureWebJobsStorage: 'UseDevelopmentStorage=true', AUTH_DISABLED: 'true' };
const errorOf = (env: Record<string, string>): unknown => {
  try {
    loadSettings({ ...BASE, ...env });
  } catch (err) {
    return err;
  }
  return undefined;
};

describe('loadSettings', () => {
  it('gives the documented defaults when only storage and auth are set', () => {
    const s = loadSettings(BASE);
    expect(s.storage).toEqual({ connectionString: 'UseDevelopmentStorage=true' });
    expect(s.auth.disabled).toBe(true);
    expect(s.tables).toEqual({ registry: 'registry', jobs: 'jobs', miniBatches: 'minibatches' });
    expect(s.workspaceBlobContainer).toBe('workspaceblobstore');
    expect(s.jobPlansContainer).toBe('batch-job-plans');
    expect(s.jobs).toEqual({ chunkSize: 500, retryDelayMs: 1000, progressIntervalMs: 2000, downloadConcurrency: 8, directOutputBlocks: 40_000, settleGraceMs: 60_000 });
    expect(s.outputServeMaxBytes).toBe(100 * 1024 * 1024);
    expect(s.scoring).toEqual({ idleTimeoutMs: 300_000, workDir: expect.stringMatching(/batch-endpoints[\\/][0-9a-f]{12}$/), onnxIntraOpThreads: 1, prewarmDeployments: 2 });
    expect(s.scoring.workDir.startsWith(join(tmpdir(), 'batch-endpoints'))).toBe(true);
  });

  it('gives each app its own default work folder: by storage account and app folder, not by key', () => {
    const account = (name: string, key: string) => `DefaultEndpointsProtocol=https;AccountName=${name};AccountKey=${key};EndpointSuffix=core.windows.net`;
    const workDir = (storage: string) => loadSettings({ ...BASE, AzureWebJobsStorage: storage }).scoring.workDir;
    expect(workDir(account('appone', 'a2V5MQ=='))).toBe(workDir(account('appone', 'a2V5Mg=='))); // a rotated key
    expect(workDir(account('appone', 'a2V5MQ=='))).not.toBe(workDir(account('apptwo', 'a2V5MQ==')));
    expect(workDir(account('appone', 'a2V5MQ=='))).not.toContain('a2V5');
    const azurite = (port: number) => `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=k;BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`;
    expect(workDir(azurite(10000))).not.toBe(workDir(azurite(20000)));
    const identity = { blobServiceUri: 'https://appone.blob.core.windows.net', queueServiceUri: 'q', tableServiceUri: 't' };
    expect(defaultWorkDir(identity, '/apps/one')).not.toBe(defaultWorkDir(identity, '/apps/two')); // two checkouts, one storage
    expect(defaultWorkDir(identity, '/apps/one')).toBe(defaultWorkDir({ ...identity, clientId: 'x' }, '/apps/one'));
    expect(loadSettings({ ...BASE, AzureWebJobsStorage: azurite(10000), SCORING_WORK_DIR: '/scratch/w' }).scoring.workDir).toBe('/scratch/w');
  });

  it('reads every value the tests and benchmarks set, unchanged; empty means unset', () => {
    const s = loadSettings({
      ...BASE,
      JOB_CHUNK_SIZE: '8',
      OUTPUT_DIRECT_BLOCKS: '4',
      JOB_SETTLE_GRACE_MS: '0',
      MINI_BATCH_RETRY_DELAY_MS: '100',
      JOB_PROGRESS_INTERVAL_MS: ' 200 ',
      SCORING_MAX_WORKERS: '2',
      SCORING_WORK_DIR: '/scratch/work',
      ORT_INTRA_OP_THREADS: '',
      SCORING_PREWARM_DEPLOYMENTS: '0',
      REGISTRY_TABLE: 'mgmtdatastores',
      WORKSPACE_BLOB_CONTAINER: 'app-data',
    });
    expect(s.jobs).toMatchObject({ chunkSize: 8, directOutputBlocks: 4, settleGraceMs: 0, retryDelayMs: 100, progressIntervalMs: 200 });
    expect(s.scoring).toEqual({ maxWorkers: 2, idleTimeoutMs: 300_000, workDir: '/scratch/work', onnxIntraOpThreads: 1, prewarmDeployments: 0 });
    expect(s.tables.registry).toBe('mgmtdatastores');
    expect(s.workspaceBlobContainer).toBe('app-data');
  });

  it.each([
    ['JOB_CHUNK_SIZE', 'abc', /whole number/],
    ['JOB_CHUNK_SIZE', '0', /at least 1/],
    ['JOB_CHUNK_SIZE', '50001', /at most 50000/],
    ['OUTPUT_DIRECT_BLOCKS', '40001', /at most 40000/],
    ['MINI_BATCH_RETRY_DELAY_MS', '-5', /whole number/],
    ['SCORING_MAX_WORKERS', '1.5', /whole number/],
    ['OUTPUT_SERVE_MAX_BYTES', '10MB', /whole number/],
    ['JOB_SETTLE_GRACE_MS', 'soon', /whole number/],
    ['JOBS_TABLE', 'my-jobs', /table name/],
    ['JOB_PLANS_CONTAINER', 'Plans', /container name/],
    ['AzureWebJobsStorage__blobServiceUri', 'blob.example', /http\(s\) URL/],
  ])('%s=%s is an error naming the setting and the value', (name, value, why) => {
    const env = name.startsWith('AzureWebJobsStorage__') ? { AzureWebJobsStorage: '', [name]: value } : { [name]: value };
    const err = errorOf(env);
    expect(err).toBeInstanceOf(SettingError);
    expect((err as SettingError).setting).toBe(name);
    expect((err as Error).message).toContain(`${name}='${value}'`);
    expect((err as Error).message).toMatch(why);
  });

  it('storage: a connection string, identity-based URIs, or the account name; none is an error', () => {
    expect(loadSettings({ ...BASE, AzureWebJobsStorage: '', AzureWebJobsStorage__accountName: 'acct', AzureWebJobsStorage__clientId: 'id1' }).storage).toEqual({
      blobServiceUri: 'https://acct.blob.core.windows.net',
      queueServiceUri: 'https://acct.queue.core.windows.net',
      tableServiceUri: 'https://acct.table.core.windows.net',
      clientId: 'id1',
    });
    expect(
      loadSettings({
        AUTH_DISABLED: 'true',
        AzureWebJobsStorage__blobServiceUri: 'https://b.example',
        AzureWebJobsStorage__queueServiceUri: 'https://q.example',
        AzureWebJobsStorage__tableServiceUri: 'https://t.example',
      }).storage,
    ).toEqual({ blobServiceUri: 'https://b.example', queueServiceUri: 'https://q.example', tableServiceUri: 'https://t.example' });
    expect(() => loadSettings({ AUTH_DISABLED: 'true' })).toThrow(/Storage setting 'AzureWebJobsStorage' is missing/);
  });

  it('auth settings go through the auth rules (required issuers, refused in Azure)', () => {
    expect(() => loadSettings({ AzureWebJobsStorage: 'UseDevelopmentStorage=true' })).toThrow(/AUTH_ISSUERS is required/);
    expect(() => loadSettings({ ...BASE, WEBSITE_INSTANCE_ID: 'x' })).toThrow(/AUTH_DISABLED=true is only for local development/);
  });

  it('has one row per setting, each named once', () => {
    const names = SETTINGS_TABLE.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    for (const s of SETTINGS_TABLE) expect(s.description.length).toBeGreaterThan(10);
  });
});

describe('README', () => {
  it("its app settings table is the one generated from SETTINGS_TABLE (run 'npm run settings-table')", () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    expect(readme).toContain(settingsTableMarkdown());
    expect(withSettingsTable(readme)).toBe(readme);
    for (const s of SETTINGS_TABLE) expect(readme).toContain(`| \`${s.name}\` |`);
  });
});

describe('the composition root', () => {
  it('refuses to load with a bad setting, naming it', async () => {
    process.env.AzureWebJobsStorage = 'UseDevelopmentStorage=true';
    process.env.AUTH_DISABLED = 'true';
    process.env.JOB_CHUNK_SIZE = 'abc';
    await expect(import('../../app/services')).rejects.toThrow(/App setting JOB_CHUNK_SIZE='abc' is not valid/);
  });
});
