import type { Caller } from '../registry/caller';
import type { EffectiveSettings } from '../registry/deploymentSettings';

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

export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ['Completed', 'Failed', 'Canceled'];

export interface JobProgress {
  miniBatchesTotal: number;
  miniBatchesSucceeded: number;
  miniBatchesFailed: number;
  miniBatchesPending: number;
  itemsTotal: number;
  itemsSucceeded: number;
  itemsFailed: number;
}

export interface JobError {
  code: string;
  message: string;
}

/** The one data input of a job, as the invoke named it (the URI is resolved when the job prepares). */
export interface JobDataInput {
  name: string;
  type: 'UriFolder' | 'UriFile';
  uri: string;
  /**
   * The URI the invoke resolved `uri` to (validateInputUri): a data asset's `dataUri` (so
   * `@latest` is pinned at invoke) or the canonical datastore URI. Used when set.
   */
  resolvedUri?: string;
}

/** Where the job's output blob goes: a datastore path (workspaceblobstore by default) or a blob URL. */
export interface JobOutputLocation {
  /** The URI shown to users: azureml://datastores/<ds>/paths/<p> or an https blob URL. */
  uri: string;
  datastore?: string;
  /** Blob path within the datastore's container (when `datastore` is set). */
  path?: string;
  /** Full blob URL (when no datastore applies). */
  url?: string;
}

/** Everything a job runs with, fixed at invoke: later registry changes do not affect it. */
export interface JobSpec {
  endpointName: string;
  deploymentName: string;
  /** As given in the invoke (camelCase), for display. */
  inputData: Record<string, unknown>;
  input: JobDataInput;
  /** Literal inputs: they reach the scoring script as `context.params`. */
  params: Record<string, string>;
  outputData: Record<string, unknown>;
  output: JobOutputLocation;
  settings: EffectiveSettings;
  model: { name: string; version: string; modelType: 'mlflow_model' | 'custom_model'; modelUri: string };
  code?: { name: string; version: string; codeUri: string };
  scoringScript?: string;
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

/** How a mini-batch's file is fetched. */
export type InputFileRef =
  | { kind: 'datastore'; datastore: string; path: string }
  /** A blob named by URL (not through a datastore): read with the app's clients or its identity. */
  | { kind: 'blob'; serviceUri: string; container: string; path: string }
  | { kind: 'https'; url: string };

export interface InputFile {
  /** Name relative to the input folder (or the file name for uri_file): it appears in outputs. */
  name: string;
  ref: InputFileRef;
  size?: number;
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
