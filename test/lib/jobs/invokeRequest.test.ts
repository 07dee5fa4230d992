import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../lib/http/apiError';
import { applyOverrides, parseInvokeRequest } from '../../../lib/jobs/invokeRequest';
import { SETTINGS } from './fixtures';

const refused = (body: unknown): ApiError => {
  try {
    parseInvokeRequest(body);
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(400);
    return err as ApiError;
  }
  throw new Error('expected the body to be refused');
};
const targets = (err: ApiError) => err.details?.map((d) => d.target);

const DATA = 'azureml://datastores/workspaceblobstore/paths/heart/';

describe('parseInvokeRequest', () => {
  it("parses Azure ML's PascalCase REST body", () => {
    const r = parseInvokeRequest({
      properties: {
        InputData: {
          heart_data: { JobInputType: 'UriFolder', Uri: DATA },
          threshold: { JobInputType: 'Literal', Value: '0.7' },
        },
        OutputData: { score: { JobOutputType: 'UriFile', Uri: 'azureml://datastores/workspaceblobstore/paths/out/run1.csv' } },
        MiniBatchSize: 5,
        instanceCount: 2,
        maxConcurrencyPerInstance: 2,
        errorThreshold: 10,
        RetrySettings: { MaxRetries: 2, Timeout: 'pt60s' },
        outputFileName: 'preds.csv',
        loggingLevel: 'debug',
      },
    });
    expect(r.input).toEqual({ name: 'heart_data', type: 'UriFolder', uri: DATA });
    expect(r.params).toEqual({ threshold: '0.7' });
    expect(r.inputData).toEqual({
      heart_data: { jobInputType: 'UriFolder', uri: DATA },
      threshold: { jobInputType: 'Literal', value: '0.7' },
    });
    expect(r.outputUri).toEqual({ type: 'UriFile', uri: 'azureml://datastores/workspaceblobstore/paths/out/run1.csv' });
    expect(r.outputName).toBe('score');
    expect(r.overrides).toEqual({
      miniBatchSize: 5,
      instanceCount: 2,
      maxConcurrencyPerInstance: 2,
      errorThreshold: 10,
      maxRetries: 2,
      timeout: 'PT60S',
      outputFileName: 'preds.csv',
      loggingLevel: 'Debug',
    });
  });

  it("parses the SDK's camelCase body with snake_case type names, and mixed casing", () => {
    const camel = parseInvokeRequest({ properties: { inputData: { Input_Data: { jobInputType: 'uri_file', uri: 'https://example.com/x.csv', mode: 'download' } } } });
    expect(camel.input).toEqual({ name: 'Input_Data', type: 'UriFile', uri: 'https://example.com/x.csv' });
    expect(camel.inputData.Input_Data).toEqual({ jobInputType: 'UriFile', uri: 'https://example.com/x.csv', mode: 'download' });
    expect(camel.outputData).toEqual({});
    expect(camel.outputUri).toBeUndefined();
    expect(camel.overrides).toEqual({});
    const mixed = parseInvokeRequest({
      Properties: { inputData: { d: { JobInputType: 'URI_FOLDER', uri: DATA }, n: { jobInputType: 'literal', Value: 3 }, b: { jobInputType: 'Literal', value: true } } },
    });
    expect(mixed.input.type).toBe('UriFolder');
    expect(mixed.params).toEqual({ n: '3', b: 'true' });
  });

  it('keeps user names as sent, even when they look like schema keys', () => {
    const r = parseInvokeRequest({ properties: { inputData: { Uri: { jobInputType: 'UriFolder', uri: DATA }, Value: { jobInputType: 'Literal', value: 'x' } } } });
    expect(r.input.name).toBe('Uri');
    expect(r.params).toEqual({ Value: 'x' });
  });

  it('refuses unknown fields, naming them as sent', () => {
    const err = refused({ properties: { InputData: { d: { JobInputType: 'UriFolder', Uri: DATA, Path: 'x' } }, bogus: 1 }, extra: true });
    expect(targets(err)).toEqual(expect.arrayContaining(['extra', 'properties.bogus', 'properties.InputData.d.Path']));
    expect(err.message).toContain('properties.bogus is not a known field');
    // Other casings of schema keys are not schema keys.
    expect(targets(refused({ properties: { INPUTDATA: {} } }))).toEqual(expect.arrayContaining(['properties.INPUTDATA', 'properties.inputData']));
  });

  it('refuses a key sent in both casings', () => {
    const err = refused({ properties: { inputData: { d: { jobInputType: 'UriFolder', uri: DATA } }, MiniBatchSize: 1, miniBatchSize: 2 } });
    expect(err.details![0]).toMatchObject({ code: 'DuplicateField', target: 'properties.miniBatchSize' });
    expect(err.message).toContain('MiniBatchSize and properties.miniBatchSize');
  });

  it('needs exactly one data input, saying which', () => {
    const none = refused({ properties: { inputData: { t: { jobInputType: 'Literal', value: '1' } } } });
    expect(none.message).toBe('properties.inputData must have exactly one UriFolder or UriFile input; got none (only Literal inputs: t).');
    const two = refused({ properties: { InputData: { a: { JobInputType: 'UriFolder', Uri: DATA }, b: { JobInputType: 'UriFile', Uri: `${DATA}x.csv` } } } });
    expect(two.message).toBe('properties.InputData must have exactly one UriFolder or UriFile input; got 2: a, b.');
    expect(refused({ properties: {} }).message).toBe('properties.inputData is required.');
    expect(refused({}).message).toBe('properties is required.');
  });

  it('checks each input: type, uri for data, value for literals, names', () => {
    expect(refused({ properties: { inputData: { d: { jobInputType: 'MLTable', uri: DATA } } } }).message).toContain(
      'properties.inputData.d.jobInputType must be one of UriFolder, UriFile, Literal',
    );
    expect(refused({ properties: { InputData: { d: { JobInputType: 'UriFolder' } } } }).message).toContain('properties.InputData.d.uri is required for a UriFolder input');
    expect(refused({ properties: { inputData: { d: { jobInputType: 'UriFolder', uri: DATA }, t: { jobInputType: 'Literal', uri: DATA } } } }).message).toContain(
      'properties.inputData.t.value is required for a Literal input',
    );
    expect(refused({ properties: { inputData: { d: { jobInputType: 'UriFolder', uri: DATA, value: 'x' } } } }).message).toContain(
      'properties.inputData.d.value is not allowed for a UriFolder input',
    );
    const badName = refused({ properties: { inputData: { 'bad name': { jobInputType: 'UriFolder', uri: DATA } } } });
    expect(targets(badName)).toEqual(['properties.inputData.bad name']);
    expect(badName.message).toContain('is not an allowed key: must start with a letter');
    expect(refused({ properties: { inputData: { d: { jobInputType: 'UriFolder', uri: DATA, mode: 'teleport' } } } }).message).toContain('delivery mode');
  });

  it('validates overrides with the deployment rules, naming the field', () => {
    const base = { inputData: { d: { jobInputType: 'UriFolder', uri: DATA } } };
    expect(refused({ properties: { ...base, miniBatchSize: 0 } }).message).toBe('properties.miniBatchSize must be ≥ 1.');
    expect(refused({ properties: { ...base, ErrorThreshold: -2 } }).message).toBe('properties.ErrorThreshold must be ≥ -1.');
    expect(refused({ properties: { ...base, retrySettings: { timeout: '30s' } } }).details![0]!.target).toBe('properties.retrySettings.timeout');
    expect(refused({ properties: { ...base, outputFileName: '../x.csv' } }).details![0]!.target).toBe('properties.outputFileName');
    expect(refused({ properties: { ...base, loggingLevel: 'verbose' } }).details![0]!.target).toBe('properties.loggingLevel');
    const perJob = refused({ properties: { ...base, outputAction: 'SummaryOnly', environmentVariables: { A: '1' } } });
    expect(perJob.message).toContain('properties.outputAction cannot be set per job');
    expect(perJob.message).toContain('properties.environmentVariables cannot be set per job');
  });

  it("accepts the SDK's compute.instanceCount and ignores compute targets", () => {
    const base = { inputData: { d: { jobInputType: 'UriFolder', uri: DATA } } };
    expect(parseInvokeRequest({ properties: { ...base, compute: { instanceCount: 3, target: 'cpu-cluster' }, computeId: 'x' } }).overrides).toEqual({ instanceCount: 3 });
    expect(refused({ properties: { ...base, instanceCount: 2, compute: { instanceCount: 3 } } }).details![0]!.target).toBe('properties.compute.instanceCount');
  });

  it('takes one output, UriFile by default, UriFolder allowed, uri optional', () => {
    const base = { inputData: { d: { jobInputType: 'UriFolder', uri: DATA } } };
    const folder = parseInvokeRequest({ properties: { ...base, outputData: { preds: { jobOutputType: 'uri_folder', uri: 'azureml://datastores/workspaceblobstore/paths/out/' } } } });
    expect(folder.outputUri).toEqual({ type: 'UriFolder', uri: 'azureml://datastores/workspaceblobstore/paths/out/' });
    expect(folder.outputName).toBe('preds');
    const bare = parseInvokeRequest({ properties: { ...base, outputData: { score: {} } } });
    expect(bare.outputUri).toBeUndefined();
    expect(bare.outputData).toEqual({ score: { jobOutputType: 'UriFile' } });
    const two = refused({ properties: { ...base, outputData: { a: {}, b: {} } } });
    expect(two.message).toContain('properties.outputData must have at most one output; got 2: a, b');
  });

  it('keeps tags and description', () => {
    const r = parseInvokeRequest({ properties: { inputData: { d: { jobInputType: 'UriFolder', uri: DATA } }, Tags: { team: 'ml' }, description: 'nightly' } });
    expect(r.metadata).toEqual({ tags: { team: 'ml' }, description: 'nightly' });
  });

  it("keeps displayName and experimentName, also the REST sample's properties.properties.experimentName", () => {
    const input = { d: { jobInputType: 'UriFolder', uri: DATA } };
    expect(parseInvokeRequest({ properties: { inputData: input, DisplayName: 'n1', experimentName: 'exp' } }).metadata).toEqual({ displayName: 'n1', experimentName: 'exp' });
    expect(parseInvokeRequest({ properties: { inputData: input, properties: { experimentName: 'from-props' } } }).metadata).toEqual({
      experimentName: 'from-props',
      properties: { experimentName: 'from-props' },
    });
  });
});

describe('applyOverrides', () => {
  it('replaces the given settings and recomputes timeoutMs', () => {
    const s = applyOverrides(SETTINGS, { miniBatchSize: 2, timeout: 'PT2M', loggingLevel: 'Debug' });
    expect(s).toEqual({ ...SETTINGS, miniBatchSize: 2, timeout: 'PT2M', timeoutMs: 120_000, loggingLevel: 'Debug' });
    expect(applyOverrides(SETTINGS, {})).toEqual(SETTINGS);
    expect(applyOverrides(SETTINGS, {}).environmentVariables).not.toBe(SETTINGS.environmentVariables);
  });
});
