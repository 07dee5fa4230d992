import { describe, expect, it } from 'vitest';
import { afterArmWorkspace } from '../../../lib/http/armPath';

const WS = 'subscriptions/00000000-1111/resourceGroups/rg-1/providers/Microsoft.MachineLearningServices/workspaces/ws.1';

describe('afterArmWorkspace (the ARM workspace prefix of routes and resource ids)', () => {
  it('gives what follows the prefix, with or without a leading slash, in any case', () => {
    expect(afterArmWorkspace(`${WS}/batchEndpoints/e/jobs`)).toBe('batchEndpoints/e/jobs');
    expect(afterArmWorkspace(`/${WS}/datastores/d/paths/p/`)).toBe('datastores/d/paths/p/');
    expect(afterArmWorkspace(`${WS.toLowerCase()}/models`)).toBe('models');
    expect(afterArmWorkspace(WS)).toBe('');
    expect(afterArmWorkspace(`${WS}/`)).toBe('');
  });

  it('is undefined for anything else', () => {
    expect(afterArmWorkspace('batchEndpoints/e')).toBeUndefined();
    expect(afterArmWorkspace(`x/${WS}/models`)).toBeUndefined();
    expect(afterArmWorkspace(WS.replace('Microsoft.MachineLearningServices', 'MicrosoftXMachineLearningServices'))).toBeUndefined();
    expect(afterArmWorkspace(WS.replace('/rg-1/', '//'))).toBeUndefined();
  });
});
