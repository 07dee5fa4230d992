import type { Caller } from '../auth/caller';
import type { EffectiveSettings } from '../registry/deploymentSettings';
import type { JobDataInput } from '../inputs/types';
import type { OutputLocation } from '../output/location';

// The job's vocabulary, some of it owned by the folder that does the work.
export type { InputFile, InputFileRef, JobDataInput } from '../inputs/types';
/** Where the job's output blob goes (lib/output owns it). */
export type JobOutputLocation = OutputLocation;

/** Azure ML's job statuses that this service uses. */
export type JobStatus =
  | 'NotStarted'
  | 'Preparing'
  | 'Running'
  | 'Finalizing'
  | 'CancelRequested'
  | 'Completed'
  | 'Failed'
  | 'Canceled';

export interface JobProgress {
  miniBatchesTotal: number;
  miniBatchesSucceeded: number;
  miniBatchesFailed: number;
  /** Being scored now (scheduled, not finished); pending ones have not started. */
  miniBatchesRunning?: number;
  miniBatchesPending: number;
  itemsTotal: number;
  itemsSucceeded: number;
  itemsFailed: number;
}

export interface JobError {
  code: string;
  message: string;
}

/** Everything a job runs with, fixed at invoke: later registry changes do not affect it. */
/** What Azure ML clients send to label a job (SDK: display_name, experiment_name, tags, description). */
export interface JobMetadata {
  displayName?: string;
  experimentName?: string;
  description?: string;
  tags?: Record<string, string>;
  /** Azure ML's free-form `properties.properties` (the REST sample puts experimentName there). */
  properties?: Record<string, string>;
}

export interface JobSpec {
  endpointName: string;
  deploymentName: string;
  /** As given in the invoke (camelCase), for display. */
  inputData: Record<string, unknown>;
  input: JobDataInput;
  /** Literal inputs: they reach the scoring script as `context.params`. */
  params: Record<string, string>;
  outputData: Record<string, unknown>;
  output: OutputLocation;
  /** The output blob's URL as claimed at invoke (lib/jobs/outputClaims): released if the job ends without writing it. */
  outputClaim?: string;
  settings: EffectiveSettings;
  model: { name: string; version: string; modelType: 'mlflow_model' | 'custom_model'; modelUri: string };
  code?: { name: string; version: string; codeUri: string };
  scoringScript?: string;
  /** displayName, experimentName, description, tags, properties as the invoke sent them. */
  metadata?: JobMetadata;
  /** Set for jobs started by a blob drop: their end writes `_result.json` (lib/drops). */
  drop?: DropSource;
}

/** The blob drop a job came from. */
export interface DropSource {
  /** The inbox container and the drop's path in it (`<endpoint>/<drop>`). */
  container: string;
  path: string;
  kind: 'folder' | 'file';
  /** When the blob that completed the drop (the marker or the file) was written. */
  droppedAt?: string;
}

export interface JobRecord {
  jobId: string;
  spec: JobSpec;
  status: JobStatus;
  progress: JobProgress;
  error?: JobError;
  createdBy: Caller;
  creationTime: string;
  startTime?: string;
  endTime?: string;
  /** Where logs/job_progress_overview.txt and logs/user/error.txt are written. */
  logsUri?: string;
  etag?: string;
  /** When the row was last written (the table's Timestamp), when read from storage. */
  updatedAt?: string;
}

export const EMPTY_PROGRESS: JobProgress = {
  miniBatchesTotal: 0,
  miniBatchesSucceeded: 0,
  miniBatchesFailed: 0,
  miniBatchesPending: 0,
  itemsTotal: 0,
  itemsSucceeded: 0,
  itemsFailed: 0,
};
