import type { ScorerSpec } from '../../scoring/runtime/types';
import type { JobSpec } from '../types';
import type { JobActivityDeps } from './deps';

/** What the scorer pool runs for a job: the local model and code, and the deployment's settings. */
export async function scorerSpecOf(deps: Pick<JobActivityDeps, 'localModel' | 'localCode'>, spec: JobSpec): Promise<ScorerSpec> {
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
