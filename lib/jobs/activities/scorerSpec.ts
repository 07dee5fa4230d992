import type { ScorerSpec } from '../../scoring/runtime/types';
import type { JobSpec } from '../types';
import type { JobActivityDeps } from './deps';

/** What a job (or a deployment, for its settings before invoke overrides) runs with. */
export type ScorerSource = Pick<JobSpec, 'model' | 'code' | 'scoringScript' | 'settings'>;

/** What the scorer pool runs for a job: the local model and code, and the deployment's settings. */
export async function scorerSpecOf(deps: Pick<JobActivityDeps, 'localModel' | 'localCode'>, spec: ScorerSource): Promise<ScorerSpec> {
  const [modelPath, codeDir] = await Promise.all([deps.localModel(spec), deps.localCode(spec)]);
  return {
    kind: codeDir ? 'script' : 'tabular',
    modelPath,
    codeDir,
    scoringScript: spec.scoringScript,
    environmentVariables: spec.settings.environmentVariables,
    loggingLevel: spec.settings.loggingLevel,
  };
}

/**
 * Mini-batches a job keeps in flight (instanceCount x maxConcurrencyPerInstance): its plan's
 * window, the head prepare plans first, and the workers warmed for it (the pool caps those).
 */
export function parallelismOf(settings: Pick<JobSpec['settings'], 'instanceCount' | 'maxConcurrencyPerInstance'>): number {
  return settings.instanceCount * settings.maxConcurrencyPerInstance;
}
