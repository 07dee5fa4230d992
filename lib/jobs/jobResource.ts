import { envelope, type ResourceEnvelope } from '../http/envelope';
import type { EffectiveSettings } from '../registry/deploymentSettings';
import { DEFAULT_OUTPUT_NAME } from '../output/location';
import type { JobRecord } from './types';

export const JOB_TYPE = 'Microsoft.MachineLearningServices/workspaces/batchEndpoints/jobs';

/** A job's `properties` as GET answers them: Azure ML's BatchJob shape plus progress. */
export interface JobView
  extends Pick<EffectiveSettings, 'miniBatchSize' | 'instanceCount' | 'maxConcurrencyPerInstance' | 'errorThreshold' | 'outputAction' | 'outputFileName' | 'loggingLevel'>,
    Pick<JobRecord, 'status' | 'progress' | 'error' | 'createdBy' | 'creationTime' | 'startTime' | 'endTime' | 'logsUri'> {
  endpointName: string;
  deploymentName: string;
  inputData: Record<string, unknown>;
  /** The one output, with the blob it is (or will be) written to. */
  outputData: Record<string, { jobOutputType: 'UriFile'; uri: string; [k: string]: unknown }>;
  retrySettings: { maxRetries: number; timeout: string };
  /** Azure ML's names for the same output: by name (`outputs.score`), and the single `output`. */
  outputs: Record<string, { jobOutputType: 'UriFile'; uri: string }>;
  output: { jobOutputType: 'UriFile'; uri: string; datastoreId?: string; path?: string };
  /** Where the job is shown (Azure ML clients print `interactionEndpoints.Studio.endpoint`: the studio page) and tracked. */
  interactionEndpoints: { Studio: { endpoint: string }; Tracking: { endpoint: string } };
  displayName?: string;
  experimentName?: string;
  description?: string;
  tags?: Record<string, string>;
  properties?: Record<string, string>;
}

/**
 * The job resource. Its output is always shown as the one file it resolves to (a UriFolder output
 * shows `<folder>/<outputFileName>`). Environment variables are the deployment's and not repeated.
 */
export function jobResource(job: JobRecord, origin = ''): ResourceEnvelope<JobView> {
  const { spec } = job;
  const id = `/api/batchEndpoints/${spec.endpointName}/jobs/${job.jobId}`;
  const datastore = /^azureml:\/\/datastores\/([^/]+)\/paths\/(.*)$/.exec(spec.output.uri);
  const output = { jobOutputType: 'UriFile' as const, uri: spec.output.uri };
  const s = spec.settings;
  const [outputName = DEFAULT_OUTPUT_NAME, given = {}] = Object.entries(spec.outputData)[0] ?? [];
  const properties: JobView = {
    status: job.status,
    endpointName: spec.endpointName,
    deploymentName: spec.deploymentName,
    inputData: spec.inputData,
    outputData: { [outputName]: { ...(given as Record<string, unknown>), jobOutputType: 'UriFile', uri: spec.output.uri } },
    outputs: { [outputName]: output },
    output: { ...output, ...(datastore ? { datastoreId: `/api/datastores/${datastore[1]}`, path: datastore[2] } : {}) },
    // Studio: the job's page in this app's studio (Azure ML's is ml.azure.com's run page).
    interactionEndpoints: { Studio: { endpoint: `${origin}/api/studio/endpoints/${encodeURIComponent(spec.endpointName)}/jobs/${job.jobId}` }, Tracking: { endpoint: `${origin}/api/jobs/${job.jobId}` } },
    ...spec.metadata,
    miniBatchSize: s.miniBatchSize,
    instanceCount: s.instanceCount,
    maxConcurrencyPerInstance: s.maxConcurrencyPerInstance,
    errorThreshold: s.errorThreshold,
    retrySettings: { maxRetries: s.maxRetries, timeout: s.timeout },
    outputAction: s.outputAction,
    outputFileName: s.outputFileName,
    loggingLevel: s.loggingLevel,
    progress: job.progress,
    ...(job.error ? { error: job.error } : {}),
    createdBy: job.createdBy,
    creationTime: job.creationTime,
    ...(job.startTime ? { startTime: job.startTime } : {}),
    ...(job.endTime ? { endTime: job.endTime } : {}),
    ...(job.logsUri ? { logsUri: job.logsUri } : {}),
  };
  return envelope({
    id,
    name: job.jobId,
    type: JOB_TYPE,
    ...(spec.metadata?.tags ? { tags: spec.metadata.tags } : {}),
    properties,
    systemData: {
      createdBy: job.createdBy.name,
      createdAt: job.creationTime,
      lastModifiedAt: job.endTime ?? job.startTime ?? job.creationTime,
    },
  });
}
