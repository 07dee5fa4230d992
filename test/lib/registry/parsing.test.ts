import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ApiError } from '../../../lib/http/apiError';
import { deploymentBodySchema } from '../../../lib/registry/deployments';
import { parseIsoDuration } from '../../../lib/registry/duration';
import { checkName, endpointNameSchema } from '../../../lib/registry/names';
import { parseDatastoreUri } from '../../../lib/locations/datastorePath';
import { isAzureBlobUrl, parseAssetId } from '../../../lib/locations/references';
import { parseOrThrow } from '../../../lib/registry/validation';

const validationMessages = (schema: z.ZodType, input: unknown): string[] => {
  try {
    parseOrThrow(schema, input);
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('ValidationError');
    return (err as ApiError).details!.map((d) => d.message);
  }
  throw new Error('expected a validation error');
};

describe('parseIsoDuration', () => {
  it.each([
    ['PT30S', 30_000],
    ['PT1M30S', 90_000],
    ['PT0.5S', 500],
    ['P1DT2H', 26 * 3_600_000],
    ['pt5m', 300_000],
  ])('%s is %d ms', (text, ms) => expect(parseIsoDuration(text)).toBe(ms));

  it.each(['P', 'PT', '30', 'P1Y', 'P1M', 'PT-1S', 'P1DT', ''])('%s is not accepted', (text) => expect(parseIsoDuration(text)).toBeUndefined());
});

describe('references', () => {
  it('parses asset ids in the forms Azure ML writes', () => {
    expect(parseAssetId('azureml:heart:3', 'models')).toEqual({ name: 'heart', version: '3' });
    expect(parseAssetId('azureml:heart@latest', 'models')).toEqual({ name: 'heart', version: 'latest' });
    expect(parseAssetId('/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/workspaces/w/models/heart/versions/2', 'models')).toEqual({ name: 'heart', version: '2' });
    expect(parseAssetId('/api/codes/score/versions/1', 'codes')).toEqual({ name: 'score', version: '1' });
    expect(parseAssetId('/api/codes/score/versions/1', 'models')).toBeUndefined();
    expect(parseAssetId('heart:1', 'models')).toBeUndefined();
  });

  it('parses datastore URIs, short and workspace-qualified', () => {
    expect(parseDatastoreUri('azureml://datastores/workspaceblobstore/paths/models/heart/')).toEqual({ datastore: 'workspaceblobstore', path: 'models/heart/' });
    expect(parseDatastoreUri('azureml://subscriptions/s/resourcegroups/r/workspaces/w/datastores/ds/paths/a.csv')).toEqual({ datastore: 'ds', path: 'a.csv' });
    expect(parseDatastoreUri('azureml://datastores/ds')).toBeUndefined();
  });

  it('accepts only Azure blob hosts for https URLs', () => {
    expect(isAzureBlobUrl('https://acct.blob.core.windows.net/models/heart/')).toBe(true);
    expect(isAzureBlobUrl('https://evil.example.com/models/heart/')).toBe(false);
    expect(isAzureBlobUrl('http://acct.blob.core.windows.net/models/heart/')).toBe(false);
  });
});

describe('validation messages', () => {
  const minimal = { properties: { model: 'azureml:m:1' } };

  it('applies Azure ML defaults', () => {
    const parsed = parseOrThrow(deploymentBodySchema, minimal);
    expect(parsed.properties).toMatchObject({
      model: { referenceType: 'Id', assetId: 'azureml:m:1' },
      miniBatchSize: 10,
      resources: { instanceCount: 1 },
      maxConcurrencyPerInstance: 1,
      errorThreshold: -1,
      retrySettings: { maxRetries: 3, timeout: 'PT30S' },
      outputAction: 'AppendRow',
      outputFileName: 'predictions.csv',
      loggingLevel: 'Info',
      environmentVariables: {},
    });
  });

  it('names each field and what is wrong with it', () => {
    const messages = validationMessages(deploymentBodySchema, {
      properties: {
        model: 'azureml:m:1',
        miniBatchSize: 0,
        resources: { instanceCount: 1.5 },
        errorThreshold: -2,
        retrySettings: { maxRetries: 'x', timeout: 'PT0S' },
        outputAction: 'append',
        outputFileName: '../x.csv',
        loggingLevel: 'verbose',
        environmentVariables: { '1BAD': 'x' },
        compute: 'cpu-cluster',
      },
    });
    expect(messages).toEqual(
      expect.arrayContaining([
        'properties.miniBatchSize must be ≥ 1',
        'properties.resources.instanceCount must be an integer',
        'properties.errorThreshold must be ≥ -1',
        'properties.retrySettings.maxRetries must be a number',
        expect.stringMatching(/^properties\.retrySettings\.timeout must be a positive ISO-8601 duration/),
        'properties.outputAction must be one of AppendRow, SummaryOnly',
        expect.stringMatching(/^properties\.outputFileName must be a plain file name/),
        'properties.loggingLevel must be one of Warning, Info, Debug',
        expect.stringMatching(/^properties\.environmentVariables\.1BAD is not an allowed key/),
        'properties.compute is not a known field',
      ]),
    );
  });

  it("an Azure ML YAML name (snake_case) in a REST body is refused with the REST name it stands for; other unknown names get no guess", () => {
    const messages = validationMessages(deploymentBodySchema, {
      properties: { model: 'azureml:m:1', mini_batch_size: 3, retrySettings: { max_retries: 1 }, output_file_name: 'x.csv', not_a_setting: 1 },
    });
    expect(messages).toEqual(
      expect.arrayContaining([
        "properties.mini_batch_size is not a known field: the REST name is properties.miniBatchSize (snake_case is the YAML's)",
        "properties.retrySettings.max_retries is not a known field: the REST name is properties.retrySettings.maxRetries (snake_case is the YAML's)",
        "properties.output_file_name is not a known field: the REST name is properties.outputFileName (snake_case is the YAML's)",
        'properties.not_a_setting is not a known field',
      ]),
    );
  });

  it('says which required field is missing, and refuses a body that is not an object', () => {
    expect(validationMessages(deploymentBodySchema, { properties: {} })).toEqual(['properties.model is required']);
    expect(validationMessages(deploymentBodySchema, [])).toEqual(['The body must be an object']);
  });

  it('accepts Azure ML spellings case-insensitively', () => {
    const parsed = parseOrThrow(deploymentBodySchema, {
      properties: { ...minimal.properties, outputAction: 'summary_only', loggingLevel: 'DEBUG', retrySettings: { timeout: 'pt2m' } },
    });
    expect(parsed.properties.outputAction).toBe('SummaryOnly');
    expect(parsed.properties.loggingLevel).toBe('Debug');
    expect(parsed.properties.retrySettings).toEqual({ maxRetries: 3, timeout: 'PT2M' });
  });

  it('validates route names with the Azure ML rules', () => {
    expect(checkName(endpointNameSchema, 'heart-ep1', 'endpoint name')).toBe('heart-ep1');
    for (const bad of ['ab', '1abc', 'a'.repeat(33), 'with_underscore', 'a/b']) {
      expect(() => checkName(endpointNameSchema, bad, 'endpoint name')).toThrow(/endpoint name/);
    }
  });
});
