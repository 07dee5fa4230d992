// The piscina worker: one thread of a pool that serves one ScorerSpec (workerData), with the
// spec's environment variables as its process.env. Runs one mini-batch per call.
import { messageOf } from '../../util/messageOf';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { MiniBatchError, thrownStack } from './errors';
import { EVENT_CHANNEL, type WorkerData, type WorkerEvent, type WorkerReply, type WorkerRequest } from './protocol';
import { portSink } from './blockChannel';
import { gateOnnxRuntimeCalls, setCurrentGate } from './nativeCallGate';
import { DEFAULT_OUTPUT_BLOCK_BYTES, OutputBlockWriter } from './outputBlocks';
import type { ScoredCounts } from './scoredBatch';
import { scoreWithScript, warmScript } from './scriptScorer';
import { createScriptLogger, TaskLog, type ScriptLogger } from './taskLog';
import type { MiniBatchTask, ScorerSpec } from './types';

const { spec, onnxIntraOpThreads } = workerData as WorkerData;
// Before anything loads ONNX Runtime: the pool must never stop this thread inside one of its calls.
gateOnnxRuntimeCalls();
let current: TaskLog | undefined;
const logger = createScriptLogger(() => current);

// What a scoring script prints with console.* belongs to the mini-batch it runs for, like
// context.logger (Azure ML keeps a script's stdout in the job's logs): it goes to that mini-batch's
// log, at the deployment's loggingLevel. Outside a mini-batch it goes where it always did.
for (const [method, level] of [['log', 'info'], ['info', 'info'], ['debug', 'debug'], ['warn', 'warning'], ['error', 'error']] as const) {
  const original = console[method].bind(console);
  console[method] = (...args: unknown[]) => (current ? logger[level](...args) : original(...args));
}

/** A script's lines go out in slices of this many: the same pieces the tabular scorer makes. */
const SCRIPT_SLICE = 10_000;

export default async function scoreMiniBatch({ taskId, task, warm, port, gate }: WorkerRequest): Promise<WorkerReply> {
  const start = performance.now();
  setCurrentGate(gate);
  post({ channel: EVENT_CHANNEL, taskId, type: 'started' });
  const log = new TaskLog(spec.loggingLevel, (entry) => post({ channel: EVENT_CHANNEL, taskId, type: 'log', entry }));
  current = log;
  try {
    if (warm) {
      await (spec.kind === 'tabular' ? warmTabular(spec) : warmScript(spec, task, logger));
      return { ok: true, result: { blocks: [], blocksSent: 0, outputRows: 0, succeededItems: 0, failedItems: 0, itemErrors: [], logs: log.entries(), durationMs: Math.round(performance.now() - start) } };
    }
    if (!port) throw new Error('a mini-batch needs a port for its output');
    const output = new OutputBlockWriter(task.outputBlockBytes ?? DEFAULT_OUTPUT_BLOCK_BYTES, portSink(port));
    let counts: ScoredCounts;
    if (spec.kind === 'tabular') {
      counts = await scoreTabular(spec, task, logger, output);
    } else {
      const { lines, ...rest } = await scoreWithScript(spec, task, logger);
      for (let i = 0; i < lines.length; i += SCRIPT_SLICE) await output.add(lines.slice(i, i + SCRIPT_SLICE));
      await output.endFile();
      counts = rest;
    }
    await output.finish();
    const result = { ...counts, blocks: output.kept, blocksSent: output.sent, outputRows: output.rows, logs: log.entries(), durationMs: Math.round(performance.now() - start) };
    return { ok: true, result };
  } catch (err) {
    const error =
      err instanceof MiniBatchError ? err : new MiniBatchError('RunFailed', `the scorer failed: ${messageOf(err)}`, { stack: thrownStack(err) });
    return { ok: false, error: error.toJSON(), logs: log.entries() };
  } finally {
    current = undefined;
    setCurrentGate(undefined);
  }
}

function post(event: WorkerEvent): void {
  parentPort?.postMessage(event);
}

/**
 * Loaded on first use: it loads onnxruntime-node's native addon, which script workers do not need,
 * and a module that fails while a worker starts makes piscina stop starting workers at all.
 */
async function scoreTabular(spec: ScorerSpec, task: MiniBatchTask, log: ScriptLogger, output: OutputBlockWriter): Promise<ScoredCounts> {
  const { scoreWithModel } = await import('./tabularScorer.js');
  return scoreWithModel(spec, task, log, output, onnxIntraOpThreads);
}

async function warmTabular(spec: ScorerSpec): Promise<void> {
  const { warmModel } = await import('./tabularScorer.js');
  await warmModel(spec, onnxIntraOpThreads);
}
