import { describe, expect, it } from 'vitest';
import { dropOf } from '../../../lib/drops/dropPath';
import { dropRequestId } from '../../../lib/drops/startDropJob';
import { invokeBodyOf, parseJobFile } from '../../../lib/drops/jobFile';
import { parseInvokeRequest } from '../../../lib/jobs/invokeRequest';

describe('which inbox blob completes a drop', () => {
  it('a _SUCCESS marker completes its folder (nested too); a file under the endpoint is a single-file drop', () => {
    expect(dropOf('iris/day-1/_SUCCESS')).toEqual({ endpoint: 'iris', name: 'day-1', kind: 'folder', path: 'iris/day-1' });
    expect(dropOf('iris/2026/12/01/_SUCCESS')).toEqual({ endpoint: 'iris', name: '2026/12/01', kind: 'folder', path: 'iris/2026/12/01' });
    expect(dropOf('iris/one.csv')).toEqual({ endpoint: 'iris', name: 'one.csv', kind: 'file', path: 'iris/one.csv' });
  });

  it('files of a folder, _job.json, hidden and _-named blobs, and blobs outside an endpoint folder start nothing', () => {
    for (const name of ['iris/day-1/a.csv', 'iris/day-1/_job.json', 'iris/_job.json', 'iris/.DS_Store', 'loose.csv', 'iris/_tmp/_SUCCESS', '_x/d/_SUCCESS', 'iris//_SUCCESS', 'iris/_SUCCESS']) {
      expect(dropOf(name), name).toBeUndefined();
    }
  });

  it('derives one request id per drop, whatever the event', () => {
    expect(dropRequestId('batch-inbox', 'iris/day-1')).toBe(dropRequestId('batch-inbox', 'iris/day-1'));
    expect(dropRequestId('batch-inbox', 'iris/day-1')).not.toBe(dropRequestId('batch-inbox', 'iris/day-2'));
    expect(dropRequestId('batch-inbox', 'iris/day-1')).toMatch(/^drop-[0-9a-f]{64}$/);
  });
});

describe('_job.json', () => {
  it('becomes an invoke body the invoke accepts: settings, literal inputs, output', () => {
    const file = parseJobFile(JSON.stringify({ deployment: 'blue', miniBatchSize: 3, inputs: { threshold: 0.5, mode: 'fast' }, output: { uri: 'azureml://datastores/x/paths/o.csv' } }));
    const parsed = parseInvokeRequest(invokeBodyOf(file, { type: 'UriFolder', uri: 'azureml://datastores/batch_inbox/paths/iris/d' }, 'azureml://datastores/batch_outbox/paths/iris/d'));
    expect(parsed.input).toMatchObject({ type: 'UriFolder', uri: 'azureml://datastores/batch_inbox/paths/iris/d' });
    expect(parsed.params).toEqual({ threshold: '0.5', mode: 'fast' });
    expect(parsed.overrides.miniBatchSize).toBe(3);
    expect(parsed.outputUri).toEqual({ type: 'UriFile', uri: 'azureml://datastores/x/paths/o.csv' });
  });

  it('absent, the output is a folder in the outbox', () => {
    const parsed = parseInvokeRequest(invokeBodyOf(parseJobFile(undefined), { type: 'UriFile', uri: 'azureml://datastores/batch_inbox/paths/iris/a.csv' }, 'azureml://datastores/batch_outbox/paths/iris/a.csv'));
    expect(parsed.outputUri).toEqual({ type: 'UriFolder', uri: 'azureml://datastores/batch_outbox/paths/iris/a.csv' });
  });

  it('malformed or misshapen files are InvalidJobFile errors that say why', () => {
    expect(() => parseJobFile('{ nope')).toThrow(/_job.json is not valid JSON/);
    expect(() => parseJobFile('[]')).toThrow(/_job.json cannot be used/);
    expect(() => parseJobFile(JSON.stringify({ inputs: { a: { b: 1 } } }))).toThrow(/inputs\.a/);
    expect(() => parseJobFile(JSON.stringify({ inputData: {} }))).toThrow(/'inputData' is set by the drop/);
  });
});
