import { describe, expect, it } from 'vitest';
import { specKey } from '../../../../lib/scoring/runtime/specKey';
import type { ScorerSpec } from '../../../../lib/scoring/runtime/types';

describe('specKey', () => {
  const spec: ScorerSpec = { kind: 'script', modelPath: '/m', codeDir: '/c', scoringScript: 'score.js', environmentVariables: { A: '1', B: '2' }, loggingLevel: 'Info' };

  it('is the same for equal specs in any property order', () => {
    const reordered: ScorerSpec = { loggingLevel: 'Info', environmentVariables: { B: '2', A: '1' }, scoringScript: 'score.js', codeDir: '/c', modelPath: '/m', kind: 'script' };
    expect(specKey(reordered)).toBe(specKey(spec));
    expect(specKey({ ...spec, codeDir: undefined })).toBe(specKey({ kind: 'script', modelPath: '/m', scoringScript: 'score.js', environmentVariables: { A: '1', B: '2' }, loggingLevel: 'Info' }));
  });

  it('differs when anything differs', () => {
    const keys = new Set([
      specKey(spec),
      specKey({ ...spec, environmentVariables: { A: '1', B: '3' } }),
      specKey({ ...spec, environmentVariables: { A: '1' } }),
      specKey({ ...spec, loggingLevel: 'Debug' }),
      specKey({ ...spec, modelPath: '/m2' }),
      specKey({ ...spec, scoringScript: 'other.js' }),
    ]);
    expect(keys.size).toBe(6);
  });
});
