import type { ErrorDetail } from '../http/apiError';
import type { JobSpec } from './types';

/**
 * Literal inputs sent to a no-code deployment: only a scoring script reads them (`context.params`),
 * so the invoke says they are ignored rather than dropping them without a word.
 */
export function ignoredLiteralInputs(spec: JobSpec): ErrorDetail[] {
  if (spec.scoringScript) return [];
  return Object.keys(spec.params).map((name) => {
    const target = `properties.inputData.${name}`;
    return {
      code: 'IgnoredField',
      target,
      message: `${target} is accepted and ignored: deployment '${spec.deploymentName}' has no scoring script (the no-code scorer reads no literal inputs; a script gets them as context.params).`,
    };
  });
}
