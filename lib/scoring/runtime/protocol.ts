// Messages between ScorerPool (main thread) and the scoring worker. Everything here is
// structured-cloned, so it is plain data only.
import type { MessagePort } from 'node:worker_threads';
import type { SerializedMiniBatchError } from './errors';
import type { LogEntry, MiniBatchResult, MiniBatchTask, ScorerSpec } from './types';

/** `workerData` of every worker of a pool: one pool per spec. */
export interface WorkerData {
  spec: ScorerSpec;
  /** ONNX Runtime threads per session (the ORT_INTRA_OP_THREADS setting); unset: one. */
  onnxIntraOpThreads?: number;
}

/** One piscina task. `taskId` ties the worker's side-channel events to the pool's call. */
export interface WorkerRequest {
  taskId: number;
  task: MiniBatchTask;
  /** Only load the model or script (and run init()): a job warms its workers while it prepares. */
  warm?: boolean;
  /** Where the output blocks go (blockChannel.ts); transferred with the task. */
  port?: MessagePort;
  /** The task's stop flag and native-call count (nativeCallGate.ts), shared with the pool. */
  gate: SharedArrayBuffer;
}

/** A mini-batch's result as the worker sends it: its output went over the port, `blocksSent` blocks. */
export type WorkerResult = Omit<MiniBatchResult, 'output'> & { blocksSent: number };

/** Failures are returned, not thrown: a rejected piscina task then always means a dead worker. */
export type WorkerReply =
  | { ok: true; result: WorkerResult }
  | { ok: false; error: SerializedMiniBatchError; logs: LogEntry[] };

export const EVENT_CHANNEL = 'batch-endpoints/scorer';

/**
 * Posted on `parentPort` while a task runs (piscina re-emits them as the pool's 'message' event):
 * 'started' starts the timeout clock; 'log' copies each kept log entry so that logs written before
 * a timeout or crash are not lost with the worker.
 */
export type WorkerEvent =
  | { channel: typeof EVENT_CHANNEL; taskId: number; type: 'started' }
  | { channel: typeof EVENT_CHANNEL; taskId: number; type: 'log'; entry: LogEntry };

export function isWorkerEvent(message: unknown): message is WorkerEvent {
  return typeof message === 'object' && message !== null && (message as { channel?: unknown }).channel === EVENT_CHANNEL;
}
