import type { BlockBlobClient } from '@azure/storage-blob';
import type { WarmOutcome } from '../../scoring/runtime/scorerPool';
import type { MiniBatchResult, MiniBatchTask, ScorerSpec } from '../../scoring/runtime/types';
import type { JobStore } from '../jobStore';
import type { MiniBatchStore } from '../miniBatchStore';
import type { OutputClaims } from '../outputClaims';
import type { OutputParts } from '../../output/parts';
import type { PlanManifest } from '../planManifest';
import type { InputFile, JobDataInput, JobOutputLocation, JobRecord, JobSpec } from '../types';

/** What the job activities need from the outside world; the composition root supplies it. */
export interface JobActivityDeps {
  jobs: JobStore;
  miniBatches: MiniBatchStore;
  /** Output claims made at invoke: released when the job ends without writing its output. */
  outputClaims: Pick<OutputClaims, 'release'>;
  plans: PlanManifest;
  parts: OutputParts;
  listInputFiles(input: JobDataInput): Promise<InputFile[]>;
  /** The first `enough` files in the same order, and whether that is all of them. */
  listFirstInputFiles(input: JobDataInput, enough: number): Promise<{ files: InputFile[]; complete: boolean }>;
  downloadInputFile(file: InputFile, destDir: string): Promise<string>;
  /** A blob input file's bytes in memory (the no-code scorer's small files; see miniBatchInputs.ts). */
  downloadInputBytes?(file: InputFile): Promise<Uint8Array>;
  outputBlob(location: JobOutputLocation): Promise<BlockBlobClient>;
  /** Writes `logs/<name>` for the job; returns the logs folder URI. */
  writeLog(jobId: string, name: string, text: string): Promise<string>;
  /** Local copies of the job's model and code (cached per asset version). */
  localModel(spec: Pick<JobSpec, 'model'>): Promise<string>;
  localCode(spec: Pick<JobSpec, 'code'>): Promise<string | undefined>;
  scorer: {
    run(spec: ScorerSpec, task: MiniBatchTask, options: { onBlock(seq: number, bytes: Uint8Array): Promise<void> }): Promise<MiniBatchResult>;
    warm(spec: ScorerSpec, workers: number, params: Record<string, string>): Promise<WarmOutcome>;
  };
  /** Called once a job has its final status (again on a re-run): blob drops write `_result.json`. */
  jobEnded?(record: JobRecord): Promise<void>;
  workDir: string;
  tuning: {
    chunkSize: number;
    retryDelayMs: number;
    progressIntervalMs: number;
    downloadConcurrency: number;
    directOutputBlocks: number;
    /**
     * Mini-batches prepare plans before scoring starts, when the first chunk would hold more
     * (default: twice the job's parallelism, at least 16); the rest is planned by planRest.
     */
    firstMiniBatches?: number;
    /** Output block size (characters; default 8 MiB): bounds a mini-batch's output in memory. */
    outputBlockBytes?: number;
  };
  now(): Date;
  /** The host log (scoring code's log lines go there too, at the job's loggingLevel). */
  log?(level: 'debug' | 'info' | 'warning' | 'error', message: string): void;
}
