import { describe, expect, it } from 'vitest';
import { azuriteConnectionString } from '../../devhost/azurite';
import { readyBanner } from '../../scripts/readyBanner';

// What npm start prints when ready (scripts/start.ts). A second app on the machine runs on other
// ports; its banner says how to point the clients at it, which otherwise go to 7071 and 10000.

describe("npm start's ready banner", () => {
  it('on the default ports: the URLs and the token line, nothing about other ports', () => {
    const lines = readyBanner({ url: 'http://localhost:7071', issuer: true, connectionString: azuriteConnectionString({ blob: 10000, queue: 10001, table: 10002 }) });
    expect(lines[0]).toBe('Ready: http://localhost:7071');
    expect(lines.join('\n')).not.toMatch(/AZMLB_URL|AZURE_STORAGE_CONNECTION_STRING/);
  });

  it('on other ports: the exports for azmlb, npm run upload and storage tools', () => {
    const storage = azuriteConnectionString({ blob: 10110, queue: 10111, table: 10112 });
    const text = readyBanner({ url: 'http://localhost:7271', issuer: true, connectionString: storage }).join('\n');
    expect(text).toContain('    export AZMLB_URL=http://localhost:7271');
    expect(text).toContain(`    export AZURE_STORAGE_CONNECTION_STRING='${storage}'`);
    expect(storage).toContain('BlobEndpoint=http://127.0.0.1:10110/devstoreaccount1;');
  });
});
