import { messageOf } from '../../util/messageOf';
import { formatOutputLine } from '../../output/csvLine';
import { shareAppPackages } from './appPackages';
import { describeValue } from './describeValue';
import { MiniBatchError, thrownStack } from './errors';
import type { ScoredBatch } from './scoredBatch';
import { loadScoringScript, type ScoringScript } from './scriptLoader';
import type { ScriptLogger } from './taskLog';
import type { MiniBatchTask, ScorerSpec } from './types';

// Loaded and initialized once per worker thread (a worker serves one spec), like Azure ML's
// init() once per worker process. A failed load or init is not kept: the next mini-batch (or
// its retry) tries again.
let prepared: Promise<ScoringScript> | undefined;

/** Runs a user's scoring script on one mini-batch: load + init() on first use, then run(). */
function prepareOnce(spec: ScorerSpec, task: MiniBatchTask, logger: ScriptLogger): Promise<ScoringScript> {
  prepared ??= prepare(spec, task, logger).catch((err: unknown) => {
    prepared = undefined;
    throw err;
  });
  return prepared;
}

/** Loads the script and runs init() ahead of the first mini-batch (failures are reported by that mini-batch). */
export async function warmScript(spec: ScorerSpec, task: MiniBatchTask, logger: ScriptLogger): Promise<void> {
  await prepareOnce(spec, task, logger);
}

export async function scoreWithScript(spec: ScorerSpec, task: MiniBatchTask, logger: ScriptLogger): Promise<ScoredBatch> {
  const script = await prepareOnce(spec, task, logger);
  const context = { modelDir: spec.modelPath, params: { ...task.params }, logger, miniBatchIndex: task.miniBatchIndex };
  let returned: unknown;
  try {
    returned = await script.run.call(script.holder, task.files.map((f) => f.path), context);
  } catch (err) {
    throw new MiniBatchError('RunFailed', `run() in '${script.name}' threw: ${messageOf(err)}`, { stack: thrownStack(err) });
  }
  return toScoredBatch(returned, task.files.length);
}

async function prepare(spec: ScorerSpec, task: MiniBatchTask, logger: ScriptLogger): Promise<ScoringScript> {
  try {
    shareAppPackages();
  } catch (err) {
    logger.warning(`the app's packages are not available to the scoring script: ${messageOf(err)}`);
  }
  const script = await loadScoringScript(spec.codeDir, spec.scoringScript);
  if (script.init) {
    try {
      await script.init.call(script.holder, { modelDir: spec.modelPath, params: { ...task.params }, logger });
    } catch (err) {
      throw new MiniBatchError('InitFailed', `init() in '${script.name}' threw: ${messageOf(err)}`, { stack: thrownStack(err) });
    }
  }
  return script;
}

/**
 * Azure ML's contract: each returned element is one successful item and one output line; fewer
 * elements than files means that many failed items (which ones is unknown, so the note names no
 * file); more elements are all written (a script may return several rows per file).
 */
export function toScoredBatch(returned: unknown, fileCount: number): ScoredBatch {
  if (!Array.isArray(returned)) {
    const hint = returned === undefined ? ' (a missing return statement?)' : '';
    throw new MiniBatchError(
      'WrongReturnType',
      `run() must return an array with one element per successfully processed item; it returned ${describeValue(returned)}${hint}`,
    );
  }
  const lines = new Array<string>(returned.length);
  for (let i = 0; i < returned.length; i++) {
    try {
      lines[i] = formatOutputLine(returned[i]);
    } catch (err) {
      throw new MiniBatchError('WrongReturnType', `run() returned an array whose element ${i} cannot be an output line: ${messageOf(err)}`);
    }
  }
  const succeededItems = Math.min(returned.length, fileCount);
  const failedItems = fileCount - succeededItems;
  const itemErrors = [];
  if (failedItems > 0) {
    const none = returned.length === 0 ? ' (no succeeded mini-batch item returned from run())' : '';
    itemErrors.push({
      file: '',
      message: `run() returned ${returned.length} element(s) for ${fileCount} file(s): ${failedItems} item(s) counted as failed${none}`,
    });
  }
  return { lines, succeededItems, failedItems, itemErrors };
}
