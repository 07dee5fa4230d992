import { describe, expect, it } from 'vitest';
import { JOB_TYPE, jobResource } from '../../../lib/jobs/jobResource';
import { jobRecord } from './fixtures';

describe('jobResource', () => {
  it('renders the ARM-like envelope with the resolved output and effective settings', () => {
    const job = {
      ...jobRecord('Heart-Ep', 'batchjob-2zb0lxr1k-a1f3e9c2', 'Failed', '2025-01-01T00:00:00.000Z'),
      error: { code: 'InputEmpty', message: 'no files' },
      startTime: '2025-01-01T00:00:01.000Z',
      endTime: '2025-01-01T00:00:02.000Z',
      etag: 'W/"x"',
    };
    job.spec.outputData = { preds: { jobOutputType: 'UriFolder', uri: 'azureml://datastores/workspaceblobstore/paths/out/', mode: 'Upload' } };
    const r = jobResource(job);
    expect(r).toMatchObject({
      id: '/api/batchEndpoints/Heart-Ep/jobs/batchjob-2zb0lxr1k-a1f3e9c2',
      name: 'batchjob-2zb0lxr1k-a1f3e9c2',
      type: JOB_TYPE,
      systemData: { createdBy: 'alice', createdAt: '2025-01-01T00:00:00.000Z', lastModifiedAt: '2025-01-01T00:00:02.000Z' },
    });
    expect(r.properties).toEqual({
      status: 'Failed',
      endpointName: 'Heart-Ep',
      deploymentName: 'blue',
      inputData: job.spec.inputData,
      outputData: { preds: { jobOutputType: 'UriFile', uri: job.spec.output.uri, mode: 'Upload' } },
      outputs: { preds: { jobOutputType: 'UriFile', uri: job.spec.output.uri } },
      output: { jobOutputType: 'UriFile', uri: job.spec.output.uri, datastoreId: '/api/datastores/workspaceblobstore', path: 'azureml/batchjob-2zb0lxr1k-a1f3e9c2/score/predictions.csv' },
      interactionEndpoints: {
        Studio: { endpoint: '/api/studio/endpoints/Heart-Ep/jobs/batchjob-2zb0lxr1k-a1f3e9c2' },
        Tracking: { endpoint: '/api/jobs/batchjob-2zb0lxr1k-a1f3e9c2' },
      },
      miniBatchSize: 10,
      instanceCount: 1,
      maxConcurrencyPerInstance: 1,
      errorThreshold: -1,
      retrySettings: { maxRetries: 3, timeout: 'PT30S' },
      outputAction: 'AppendRow',
      outputFileName: 'predictions.csv',
      loggingLevel: 'Info',
      progress: job.progress,
      error: { code: 'InputEmpty', message: 'no files' },
      createdBy: job.createdBy,
      creationTime: '2025-01-01T00:00:00.000Z',
      startTime: '2025-01-01T00:00:01.000Z',
      endTime: '2025-01-01T00:00:02.000Z',
    });
    expect(JSON.stringify(r)).not.toContain('MODE'); // environment variables stay the deployment's
  });

  it("names the output 'score' when the invoke named none", () => {
    const r = jobResource(jobRecord('e', 'batchjob-2zb0lxr1k-a1f3e9c2'));
    expect(Object.keys(r.properties.outputData)).toEqual(['score']);
    expect(r.properties.error).toBeUndefined();
    expect(r.systemData.lastModifiedAt).toBe(r.properties.creationTime);
  });
});
