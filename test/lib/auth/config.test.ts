import { describe, expect, it } from 'vitest';
import { assertAuthConfigSafe, azureMarker, readAuthConfig } from '../../../lib/auth';

const V2 = 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0';
const V1 = 'https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/';
const LOCAL = 'http://127.0.0.1:7099/3f0c/v2.0';

describe('readAuthConfig', () => {
  it('reads exact issuers (v1 and v2), audiences and the default skew', () => {
    const config = readAuthConfig({ AUTH_ISSUERS: `${V2},${V1}`, AUTH_AUDIENCES: 'api://batch, 0000-client-id' });
    expect(config).toEqual({
      disabled: false,
      issuers: [V2, V1],
      audiences: ['api://batch', '0000-client-id'],
      clockSkewSeconds: 300,
      realm: 'batch-endpoints',
    });
  });

  it('reads an explicit OpenID metadata URL and skew', () => {
    const config = readAuthConfig({
      AUTH_ISSUERS: V1,
      AUTH_AUDIENCES: 'api://batch',
      AUTH_OPENID_CONFIG_URL: 'https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration',
      AUTH_CLOCK_SKEW_SECONDS: '60',
    });
    expect(config.openIdConfigUrl).toMatch(/common/);
    expect(config.clockSkewSeconds).toBe(60);
  });

  it.each([
    [{ AUTH_AUDIENCES: 'api://batch' }, /AUTH_ISSUERS is required/],
    [{ AUTH_ISSUERS: V2 }, /AUTH_AUDIENCES is required/],
    [{ AUTH_ISSUERS: V2, AUTH_AUDIENCES: 'a', AUTH_CLOCK_SKEW_SECONDS: 'five' }, /AUTH_CLOCK_SKEW_SECONDS/],
    [{ AUTH_ISSUERS: V2, AUTH_AUDIENCES: 'a', AUTH_CLOCK_SKEW_SECONDS: '-1' }, /AUTH_CLOCK_SKEW_SECONDS/],
    [{ AUTH_ISSUERS: 'http://issuer.example/t/v2.0', AUTH_AUDIENCES: 'a' }, /must use https/],
    [{ AUTH_ISSUERS: V2, AUTH_AUDIENCES: 'a', AUTH_OPENID_CONFIG_URL: 'http://meta.example/x' }, /AUTH_OPENID_CONFIG_URL/],
  ])('refuses %j', (env, message) => {
    expect(() => readAuthConfig(env)).toThrow(message);
  });

  it('accepts http:// only for a local issuer', () => {
    expect(readAuthConfig({ AUTH_ISSUERS: LOCAL, AUTH_AUDIENCES: 'api://local' }).issuers).toEqual([LOCAL]);
  });

  it('AUTH_DISABLED needs no issuer', () => {
    expect(readAuthConfig({ AUTH_DISABLED: 'true' }).disabled).toBe(true);
  });
});

describe('assertAuthConfigSafe', () => {
  const azure = { WEBSITE_INSTANCE_ID: 'abc123' };

  it('detects Azure from the App Service settings', () => {
    expect(azureMarker({})).toBeUndefined();
    expect(azureMarker({ WEBSITE_SITE_NAME: 'func-batch' })).toBe('WEBSITE_SITE_NAME');
    expect(azureMarker({ FUNCTIONS_WORKER_RUNTIME: 'node', WEBSITE_HOSTNAME: 'func-batch.azurewebsites.net' })).toBe(
      'WEBSITE_HOSTNAME',
    );
    expect(azureMarker({ FUNCTIONS_WORKER_RUNTIME: 'node', WEBSITE_HOSTNAME: 'localhost:7071' })).toBeUndefined();
  });

  it('allows development setups on a developer machine', () => {
    expect(() => assertAuthConfigSafe({ AUTH_DISABLED: 'true' })).not.toThrow();
    expect(() => assertAuthConfigSafe({ AUTH_ISSUERS: LOCAL, FUNCTIONS_WORKER_RUNTIME: 'node' })).not.toThrow();
  });

  it('allows Entra issuers in Azure', () => {
    expect(() => assertAuthConfigSafe({ ...azure, AUTH_ISSUERS: `${V2},${V1}` })).not.toThrow();
  });

  it('refuses AUTH_DISABLED in Azure', () => {
    expect(() => assertAuthConfigSafe({ ...azure, AUTH_DISABLED: 'true' })).toThrow(/AUTH_DISABLED=true .* runs in Azure/);
    expect(() => assertAuthConfigSafe({ WEBSITE_SITE_NAME: 's', AUTH_DISABLED: '1' })).toThrow(/AUTH_DISABLED/);
  });

  it.each([
    { AUTH_ISSUERS: LOCAL },
    { AUTH_ISSUERS: `${V2},http://localhost:7099/t/v2.0` },
    { AUTH_ISSUERS: 'http://2130706433:7099/t/v2.0' },
    { AUTH_ISSUERS: 'http://[::1]:7099/t/v2.0' },
    { AUTH_ISSUERS: V2, AUTH_OPENID_CONFIG_URL: 'http://127.0.0.1:7099/t/v2.0/.well-known/openid-configuration' },
  ])('refuses a local issuer in Azure: %j', (env) => {
    const inAzure = { FUNCTIONS_WORKER_RUNTIME: 'node', WEBSITE_HOSTNAME: 'func-batch.azurewebsites.net', ...env };
    expect(() => assertAuthConfigSafe(inAzure)).toThrow(/local issuer/);
  });

  it('readAuthConfig runs the same check', () => {
    expect(() => readAuthConfig({ ...azure, AUTH_ISSUERS: LOCAL, AUTH_AUDIENCES: 'api://local' })).toThrow(/local issuer/);
  });
});
