import type { BlockBlobClient } from '@azure/storage-blob';
import type { MiniBatchResult, MiniBatchTask, ScorerSpec } from '../../scoring/runtime/types';
import type { JobStore } from '../jobStore';
import type { MiniBatchStore } from '../miniBatchStore';
import type { OutputParts } from '../../output/parts';
import type { PlanManifest } from '../planManifest';
import type { InputFile, JobDataInput, JobOutputLocation, JobRecord, JobSpec } from '../types';

/** What the job activities need from the outside world; the composition root supplies it. */
export interface JobActivityDeps {
  jobs: JobStore;
  miniBatches: MiniBatchStore;
  plans: PlanManifest;
  parts: OutputParts;
  listInputFiles(input: JobDataInput): Promise<InputFile[]>;
  /** The first `enough` files in the same order, and whether that is all of them. */
  listFirstInputFiles(input: JobDataInput, enough: number): Promise<{ files: InputFile[]; complete: boolean }>;
  downloadInputFile(file: InputFile, destDir: string): Promise<string>;
  outputBlob(location: JobOutputLocation): Promise<BlockBlobClient>;
  /** Writes `logs/<name>` for the job; returns the logs folder URI. */
  writeLog(jobId: string, name: string, text: string): Promise<string>;
  /** Local copies of the job's model and code (cached per asset version). */
  localModel(spec: JobSpec): Promise<string>;
  localCode(spec: JobSpec): Promise<string | undefined>;
  scorer: {
    run(spec: ScorerSpec, task: MiniBatchTask): Promise<MiniBatchResult>;
    warm(spec: ScorerSpec, workers: number, params: Record<string, string>): Promise<void>;
  };
  /** Called once a job has its final status (again on a re-run): blob drops write `_result.json`. */
  jobEnded?(record: JobRecord): Promise<void>;
  workDir: string;
  tuning: { chunkSize: number; retryDelayMs: number; progressIntervalMs: number; downloadConcurrency: number; directOutputBlocks: number };
  now(): Date;
}
