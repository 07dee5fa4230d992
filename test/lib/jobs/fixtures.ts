import type { EffectiveSettings } from '../../../lib/registry/deploymentSettings';
import { EMPTY_PROGRESS, type JobRecord, type JobStatus } from '../../../lib/jobs/types';

export const SETTINGS: EffectiveSettings = {
  miniBatchSize: 10,
  instanceCount: 1,
  maxConcurrencyPerInstance: 1,
  errorThreshold: -1,
  maxRetries: 3,
  timeout: 'PT30S',
  timeoutMs: 30_000,
  outputAction: 'AppendRow',
  outputFileName: 'predictions.csv',
  loggingLevel: 'Info',
  environmentVariables: { MODE: 'test' },
};

/** A job as the invoke would record it. */
export function jobRecord(endpoint: string, jobId: string, status: JobStatus = 'NotStarted', creationTime = new Date().toISOString()): JobRecord {
  const uri = `azureml://datastores/workspaceblobstore/paths/azureml/${jobId}/score/predictions.csv`;
  return {
    jobId,
    status,
    progress: { ...EMPTY_PROGRESS },
    createdBy: { oid: 'oid-a', tid: 'tid', name: 'alice' },
    creationTime,
    spec: {
      endpointName: endpoint,
      deploymentName: 'blue',
      inputData: { heart: { jobInputType: 'UriFolder', uri: 'azureml://datastores/workspaceblobstore/paths/heart/' } },
      input: { name: 'heart', type: 'UriFolder', uri: 'azureml://datastores/workspaceblobstore/paths/heart/' },
      params: { threshold: '0.7' },
      outputData: {},
      output: { uri, datastore: 'workspaceblobstore', path: `azureml/${jobId}/score/predictions.csv` },
      settings: SETTINGS,
      model: { name: 'onnx', version: '1', modelType: 'mlflow_model', modelUri: 'azureml://datastores/workspaceblobstore/paths/onnx/' },
    },
  };
}
