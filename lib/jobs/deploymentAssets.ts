import type { ResolvedDeployment } from '../registry/registry';
import type { JobSpec } from './types';

/** A resolved deployment's model, code and scoring script as a job's spec names them (what the scorer is built from). */
export function deploymentAssets(resolved: Pick<ResolvedDeployment, 'model' | 'code' | 'scoringScript'>): Pick<JobSpec, 'model' | 'code' | 'scoringScript'> {
  const { model, code, scoringScript } = resolved;
  return {
    model: { name: model.name, version: model.version, modelType: model.properties.modelType, modelUri: model.properties.modelUri },
    ...(code ? { code: { name: code.name, version: code.version, codeUri: code.properties.codeUri } } : {}),
    ...(scoringScript ? { scoringScript } : {}),
  };
}
