import { messageOf } from '../../util/messageOf';
import os from 'node:os';
import { Piscina } from 'piscina';
import { MessageChannel } from 'node:worker_threads';
import { BlockReceiver } from './blockChannel';
import type { BlockSink } from './outputBlocks';
import { MiniBatchError, thrownStack } from './errors';
import { isWorkerEvent, type WorkerData, type WorkerEvent, type WorkerReply, type WorkerRequest } from './protocol';
import { NativeCallGate } from './nativeCallGate';
import { specKey } from './specKey';
import { WorkerSlots } from './workerSlots';
import type { LogEntry, MiniBatchResult, MiniBatchTask, ScorerSpec } from './types';
import { scorerWorkerFile } from './workerFile';

export interface ScorerPoolOptions {
  /** Worker threads per spec (default: os.availableParallelism()). */
  maxWorkers?: number;
  /** A worker idle this long exits, freeing its script and model (default 60 s). */
  idleTimeoutMs?: number;
  /** Specs with a live pool; past this the least recently used idle one is closed (default 8). */
  maxPools?: number;
  /** ONNX Runtime threads per session in the no-code scorer (default 1). */
  onnxIntraOpThreads?: number;
}

/** What `warm()` achieved: workers with the model or script loaded, and the failures of the others. */
export interface WarmOutcome {
  ready: number;
  errors: string[];
}

interface SpecPool {
  piscina: Piscina<WorkerRequest, WorkerReply>;
  /** Tasks not settled yet (a timed-out one until its thread is stopped), each with its stop(). */
  tasks: Map<Promise<WorkerReply>, () => Promise<void>>;
  /** Tasks wait here for a worker, not in piscina's queue (workerSlots.ts says why). */
  slots: WorkerSlots;
  /** Side-channel events (timeout start, logs) of running tasks, by task id. */
  listeners: Map<number, (event: WorkerEvent) => void>;
}

const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_POOLS = 8;
/** A warm-up that hangs (a script whose init() never returns) is given up after this. */
const WARM_TIMEOUT_MS = 120_000;
/** close() lets running mini-batches finish for this long (piscina's default closeTimeout). */
const CLOSE_TIMEOUT_MS = 30_000;

/**
 * Runs mini-batches in worker threads: one piscina pool per distinct ScorerSpec, so a worker's
 * process.env, loaded script and init() state belong to one deployment, and warm workers are
 * reused by every mini-batch of that deployment. A mini-batch that passes its timeout fails at
 * once, and its worker thread is terminated (an infinite loop cannot be interrupted any other
 * way) as soon as it is outside any ONNX Runtime call (stopping it inside one would abort the
 * process: nativeCallGate.ts); a worker that dies (process.exit(), an exception thrown from a
 * timer) fails only its own mini-batch. Either way the pool starts a fresh worker for the next.
 */
export class ScorerPool {
  // Map order is recency: a used pool is re-inserted at the end.
  readonly #pools = new Map<string, SpecPool>();
  readonly #maxWorkers: number;
  readonly #idleTimeoutMs: number;
  readonly #maxPools: number;
  readonly #onnxIntraOpThreads: number | undefined;
  #nextTaskId = 1;
  #closed = false;

  constructor(options: ScorerPoolOptions = {}) {
    this.#maxWorkers = positiveInteger(options.maxWorkers ?? os.availableParallelism(), 'maxWorkers');
    this.#idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.#maxPools = positiveInteger(options.maxPools ?? DEFAULT_MAX_POOLS, 'maxPools');
    this.#onnxIntraOpThreads = options.onnxIntraOpThreads === undefined ? undefined : positiveInteger(options.onnxIntraOpThreads, 'onnxIntraOpThreads');
    if (!(this.#idleTimeoutMs >= 0)) throw new RangeError(`idleTimeoutMs must be >= 0, got ${options.idleTimeoutMs}`);
  }

  /**
   * Scores one mini-batch; rejects with a MiniBatchError when the whole mini-batch failed, or with
   * `onBlock`'s error when that failed. `onBlock` receives the output's blocks as the worker
   * produces them, in order (the bytes are the caller's: transferred from the worker, not copied);
   * the result lists the ones that are output. Without it the result carries the whole `output`.
   */
  async run(spec: ScorerSpec, task: MiniBatchTask, options: { onBlock?: BlockSink } = {}): Promise<MiniBatchResult> {
    if (this.#closed) throw new Error('the ScorerPool is closed');
    if (!(task.timeoutMs > 0 && Number.isFinite(task.timeoutMs))) throw new RangeError(`timeoutMs must be a positive number, got ${task.timeoutMs}`);
    const pool = this.#poolFor(spec);
    const taskId = this.#nextTaskId++;
    const streamedLogs: LogEntry[] = [];
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    let timeUp!: (err: Error) => void;
    const timeout = new Promise<never>((_, reject) => (timeUp = reject));
    const collected = new Map<number, Uint8Array>();
    const onBlock: BlockSink = options.onBlock ?? (async (seq, bytes) => void collected.set(seq, bytes));
    const { port1, port2 } = new MessageChannel();
    const blocks = new BlockReceiver(port1, onBlock);
    // The clock starts when a worker picks the task up, not while it waits for a free worker:
    // a queue behind other mini-batches must not use up this one's time.
    pool.listeners.set(taskId, (event) => {
      if (event.type === 'log') {
        streamedLogs.push(event.entry);
      } else {
        timer ??= setTimeout(() => {
          timedOut = true;
          // The mini-batch fails now; its thread is stopped once outside any native call.
          running.stop();
          timeUp(new Error(`timed out after ${task.timeoutMs} ms`));
        }, task.timeoutMs);
      }
    });
    // Input bytes go to the worker without a copy; a view that shares its ArrayBuffer (a pooled
    // Buffer) is copied first, since transferring would take the whole buffer away.
    const files = task.files.map((f) => (f.bytes && !ownsBuffer(f.bytes) ? { ...f, bytes: f.bytes.slice() } : f));
    const inputs = [...new Set(files.flatMap((f) => (f.bytes ? [f.bytes.buffer as ArrayBuffer] : [])))];
    const running = this.#submit(pool, { taskId, task: { ...task, files }, port: port2 }, [port2, ...inputs]);
    try {
      const reply = await Promise.race([running.reply, timeout]);
      if (!reply.ok) {
        // A block that could not be stored stopped the worker: that failure is the one to report.
        const failure = blocks.failure;
        if (failure) throw failure.error;
        throw MiniBatchError.fromJSON(reply.error, reply.logs);
      }
      const { blocksSent, ...result } = reply.result;
      await Promise.race([blocks.settle(blocksSent), timeout]);
      if (options.onBlock) return result;
      return { ...result, output: Buffer.concat(result.blocks.map((seq) => collected.get(seq)!)) };
    } catch (err) {
      if (!timedOut && (err instanceof MiniBatchError || blocks.failure)) throw err;
      throw this.#lostWorker(err, task, timedOut, streamedLogs);
    } finally {
      blocks.close();
      clearTimeout(timer);
      pool.listeners.delete(taskId);
    }
  }

  /**
   * Starts up to `workers` workers for a spec and loads its model or script (init()) in each, so
   * the first mini-batches do not pay for it. Never rejects: it says how many workers are ready
   * and why the others are not (the same failure shows again in the first mini-batch).
   */
  async warm(spec: ScorerSpec, workers: number, params: Record<string, string> = {}): Promise<WarmOutcome> {
    if (this.#closed) return { ready: 0, errors: ['the ScorerPool is closed'] };
    const pool = this.#poolFor(spec);
    const count = Math.min(workers, this.#maxWorkers);
    const task: MiniBatchTask = { files: [], params, miniBatchIndex: -1, timeoutMs: WARM_TIMEOUT_MS };
    const outcome: WarmOutcome = { ready: 0, errors: [] };
    // Concurrent tasks land on different workers, starting them as needed.
    await Promise.all(
      Array.from({ length: count }, async () => {
        const taskId = this.#nextTaskId++;
        pool.listeners.set(taskId, () => undefined);
        const running = this.#submit(pool, { taskId, task, warm: true });
        const timer = setTimeout(() => running.stop(), WARM_TIMEOUT_MS);
        try {
          const reply = await running.reply;
          if (reply.ok) outcome.ready++;
          else outcome.errors.push(reply.error.message);
        } catch (err) {
          // a lost worker or a slow init(): the mini-batches will say what happens
          outcome.errors.push(`the worker stopped while warming: ${messageOf(err)}`);
        } finally {
          clearTimeout(timer);
          pool.listeners.delete(taskId);
        }
      }),
    );
    return outcome;
  }

  /** Worker threads running for a spec now (0 without a pool): e.g. those a deployment warmed ahead left for its jobs. */
  workersFor(spec: ScorerSpec): number {
    return this.#pools.get(specKey(spec))?.piscina.threads.length ?? 0;
  }

  /** Specs with a live pool. */
  get poolCount(): number {
    return this.#pools.size;
  }

  /**
   * Stops every worker. Running mini-batches may finish first, for up to piscina's closeTimeout
   * (30 s); later ones are stopped and reject with WorkerCrashed.
   */
  async close(): Promise<void> {
    this.#closed = true;
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => this.#closePool(p)));
  }

  /**
   * Lets a pool's running tasks finish (up to CLOSE_TIMEOUT_MS), then stops the rest, each once
   * it is outside native calls, and ends the threads. (piscina's own close() would terminate them
   * wherever they are.)
   */
  async #closePool(pool: SpecPool): Promise<void> {
    const settled = Promise.allSettled([...pool.tasks.keys()]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([settled, new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS).unref()))]);
    clearTimeout(timer);
    pool.slots.close();
    await Promise.all([...pool.tasks.values()].map((stop) => stop()));
    await pool.piscina.destroy();
  }

  /**
   * Starts a piscina task that can be stopped without killing the process: `stop()` keeps its
   * worker from entering another native call, waits until it is outside any, and only then
   * aborts the task, which terminates the thread (nativeCallGate.ts says why). A task that
   * finished meanwhile keeps its worker.
   */
  #submit(pool: SpecPool, request: Omit<WorkerRequest, 'gate'>, transferList: Transferable[] = []): { reply: Promise<WorkerReply>; stop: () => Promise<void> } {
    const gate = new NativeCallGate();
    const abort = new AbortController();
    let stopping: Promise<void> | undefined;
    const stop = () => (stopping ??= gate.stopOutsideNativeCalls().then(() => abort.abort()));
    const reply = (async () => {
      await pool.slots.acquire();
      try {
        return await pool.piscina.run({ ...request, gate: gate.buffer }, { signal: abort.signal, transferList: transferList as never });
      } finally {
        pool.slots.release();
      }
    })();
    pool.tasks.set(reply, stop);
    // Settles after the caller may have given up on it (a timeout): never an unhandled rejection.
    reply
      .catch(() => undefined)
      .finally(() => {
        pool.tasks.delete(reply);
      });
    return { reply, stop };
  }

  /** The worker replies with every scoring failure, so a rejected task means its worker is gone. */
  #lostWorker(err: unknown, task: MiniBatchTask, timedOut: boolean, logs: LogEntry[]): MiniBatchError {
    const batch = `mini-batch ${task.miniBatchIndex}`;
    if (timedOut) {
      return new MiniBatchError('Timeout', `${batch} timed out after ${task.timeoutMs / 1000} s`, {
        details: 'the worker thread running it was stopped; raise retrySettings.timeout if the mini-batch needs longer',
        logs,
        cause: err,
      });
    }
    if (this.#closed) return new MiniBatchError('WorkerCrashed', `${batch} was stopped: the scorer pool was closed`, { logs, cause: err });
    const message = messageOf(err);
    const exit = /^worker exited with code: (-?\d+)/.exec(message);
    const why = exit
      ? `the worker thread exited (code ${exit[1]}): the scoring code called process.exit() or similar`
      : `an exception escaped the scoring code outside run()'s promise (thrown from a timer or callback, or an unhandled rejection): ${message}`;
    return new MiniBatchError('WorkerCrashed', `${batch} failed because its worker thread stopped: ${why}`, {
      stack: exit ? undefined : thrownStack(err),
      logs,
      cause: err,
    });
  }

  #poolFor(spec: ScorerSpec): SpecPool {
    const key = specKey(spec);
    let pool = this.#pools.get(key);
    if (pool) {
      this.#pools.delete(key);
    } else {
      pool = this.#createPool(spec);
    }
    this.#pools.set(key, pool);
    this.#closeLeastRecentlyUsed(key);
    return pool;
  }

  #createPool(spec: ScorerSpec): SpecPool {
    const listeners = new Map<number, (event: WorkerEvent) => void>();
    const workerData: WorkerData = { spec, ...(this.#onnxIntraOpThreads ? { onnxIntraOpThreads: this.#onnxIntraOpThreads } : {}) };
    const piscina = new Piscina<WorkerRequest, WorkerReply>({
      filename: scorerWorkerFile(),
      minThreads: 0, // an idle deployment keeps no threads
      maxThreads: this.#maxWorkers,
      idleTimeout: this.#idleTimeoutMs,
      // Atomics would freeze a worker's event loop between tasks, so a script's stray timer would
      // fire during the next mini-batch; message passing keeps Node's usual behaviour.
      atomics: 'disabled',
      // Each worker thread gets its own copy: specs never see each other's variables.
      env: { ...process.env, ...spec.environmentVariables, AZUREML_MODEL_DIR: spec.modelPath },
      workerData,
    });
    piscina.on('message', (message: unknown) => {
      if (isWorkerEvent(message)) listeners.get(message.taskId)?.(message);
    });
    // A worker that dies while idle (e.g. a script's stray timer threw after run() returned) has
    // no task to fail; piscina replaces it on demand. Without a listener the error would crash the host.
    piscina.on('error', () => {});
    return { piscina, tasks: new Map(), slots: new WorkerSlots(this.#maxWorkers), listeners };
  }

  #closeLeastRecentlyUsed(keep: string): void {
    for (const [key, pool] of this.#pools) {
      if (this.#pools.size <= this.#maxPools) return;
      if (key === keep || pool.tasks.size > 0) continue; // busy pools stay: the cap is soft
      this.#pools.delete(key);
      void pool.piscina.close().catch(() => {});
    }
  }
}

function ownsBuffer(bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}
