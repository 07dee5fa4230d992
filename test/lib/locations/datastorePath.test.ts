import { describe, expect, it } from 'vitest';
import { datastoreUri } from '../../../lib/locations/uri';
import {
  InvalidInputPathError,
  normalizeDatastorePath,
  parseDatastoreUri,
} from '../../../lib/locations/datastorePath';

function refusal(run: () => unknown): InvalidInputPathError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputPathError);
    return err as InvalidInputPathError;
  }
  throw new Error('expected an InvalidInputPathError');
}

describe('normalizeDatastorePath', () => {
  it.each([
    ['heart/', 'heart/'],
    ['heart/part-1.csv', 'heart/part-1.csv'],
    ['', ''],
    ['data%20sets/file%231.csv', 'data sets/file#1.csv'],
    ['r%C3%A9sum%C3%A9/a.csv', 'résumé/a.csv'],
    ['a..b/c.d', 'a..b/c.d'],
    ['.hidden/x', '.hidden/x'],
  ])('accepts %j as %j', (raw, clean) => {
    expect(normalizeDatastorePath(raw)).toBe(clean);
  });

  it.each([
    ['..', /'\.\.' segments/],
    ['../other-container/x', /'\.\.' segments/],
    ['a/../../b', /'\.\.' segments/],
    ['a/..', /'\.\.' segments/],
    ['./a', /'\.\.' segments/],
    ['%2e%2e/secrets', /'\.\.' segments/],
    ['%2E%2E/secrets', /'\.\.' segments/],
    ['.%2e/x', /'\.\.' segments/],
    ['a%2f..%2fb', /encoded '\/'/],
    ['a%2F%2E%2E', /encoded '\/'/],
    ['%252e%252e/x', /double percent-encoding/],
    ['%25%32%65/x', /double percent-encoding/],
    ['a%5c..%5cb', /encoded '\/' or '\\'/],
    ['a\\..\\b', /backslashes/],
    ['..\\x', /backslashes/],
    ['/etc/passwd', /relative/],
    ['//other-container/x', /relative/],
    ['%2fother/x', /encoded/],
    ['a//b', /empty segments/],
    ['a\u0000b', /control characters/],
    ['a%00b', /control characters/],
    ['a%0a.csv', /control characters/],
    ['a\nb', /control characters/],
    ['a%zz', /percent-encoded byte/],
    ['a%', /percent-encoded byte/],
    ['%c3%28', /not valid UTF-8/],
    ['a?sv=x', /'\?' and '#'/],
    ['x'.repeat(1025), /longer than 1024/],
  ])('refuses %j', (raw, why) => {
    const err = refusal(() => normalizeDatastorePath(raw));
    expect(err.message).toMatch(why);
    expect(err.code).toBe('InvalidInputPath');
    expect(err.status).toBe(400);
  });
});

describe('parseDatastoreUri', () => {
  it('splits the datastore and the clean path', () => {
    expect(parseDatastoreUri('azureml://datastores/workspaceblobstore/paths/heart/')).toEqual({
      datastore: 'workspaceblobstore',
      path: 'heart/',
    });
    expect(parseDatastoreUri('azureml://datastores/ws_2/paths/')).toEqual({ datastore: 'ws_2', path: '' });
  });

  it('reports the whole URI as the error target', () => {
    const uri = 'azureml://datastores/workspaceblobstore/paths/../x';
    const err = refusal(() => parseDatastoreUri(uri));
    expect(err.toErrorBody()).toEqual({ error: { code: 'InvalidInputPath', message: err.message, target: uri } });
  });

  it.each(['azureml://datastores/../paths/x', 'azureml://datastores/%2e%2e/paths/x', 'azureml://datastores/ws/paths/%2e%2e/x'])('refuses %s', (uri) => {
    expect(refusal(() => parseDatastoreUri(uri)).code).toBe('InvalidInputPath');
  });

  it.each(['azureml://datastores/paths/x', 'azureml://datastores/ws/x', 'https://account.blob.core.windows.net/c/x'])(
    'is not a datastore URI: %s (the caller tries the other forms)',
    (uri) => {
      expect(parseDatastoreUri(uri)).toBeUndefined();
    },
  );

  it('reads the long workspace-qualified form in the same pass, with the same checks', () => {
    const long = 'azureml://subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/workspaces/w/datastores/ds/paths/a/b.csv';
    expect(parseDatastoreUri(long)).toEqual({ datastore: 'ds', path: 'a/b.csv' });
    const bad = 'azureml://subscriptions/s/resourcegroups/r/workspaces/w/datastores/ds/paths/a/../b.csv';
    expect(refusal(() => parseDatastoreUri(bad)).toErrorBody().error.target).toBe(bad);
  });
});

describe('datastoreUri of a blob path', () => {
  it('gives back the blob path when parsed, whatever URI characters the name holds', () => {
    for (const name of ['day 1/a.csv', '100% #2?/x', 'a%b', 'é/ü.csv', 'sub/folder/']) {
      expect(parseDatastoreUri(datastoreUri('ds', name))).toEqual({ datastore: 'ds', path: name });
    }
    expect(datastoreUri('ds', 'a b/c.csv')).toBe('azureml://datastores/ds/paths/a b/c.csv');
  });
});
