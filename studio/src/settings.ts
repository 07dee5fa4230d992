/**
 * The API's rules for a deployment's settings and a job's input names (lib/registry/deploymentSettings.ts,
 * lib/jobs/invokeRequest.ts), checked in the page: a bad value is named by its field before anything
 * is sent, instead of coming back as `properties.miniBatchSize must be ≥ 1` after the wizard has
 * already created the endpoint.
 */

/** Whole-number settings and their least value. */
const LEAST = {
  miniBatchSize: 1,
  instanceCount: 1,
  maxConcurrencyPerInstance: 1,
  errorThreshold: -1,
  maxRetries: 0,
  timeoutSeconds: 1,
} as const;

export type SettingName = keyof typeof LEAST | 'outputFileName';

/** What is wrong with each setting, by field; empty when all are valid. */
export function settingProblems(settings: Partial<Record<SettingName, string>>): Partial<Record<SettingName, string>> {
  const problems: Partial<Record<SettingName, string>> = {};
  for (const [name, least] of Object.entries(LEAST) as [keyof typeof LEAST, number][]) {
    const value = settings[name]?.trim();
    if (value === undefined) continue;
    if (!/^-?\d+$/.test(value)) problems[name] = 'Enter a whole number.';
    else if (Number(value) < least) problems[name] = name === 'errorThreshold' ? 'Enter -1 (any number of failed items) or more.' : `Enter ${least} or more.`;
  }
  const file = settings.outputFileName;
  if (file !== undefined && (!file.trim() || file === '.' || file === '..' || /[/\\\u0000-\u001f]/.test(file))) {
    problems.outputFileName = 'Enter a plain file name (no "/" or "\\").';
  }
  return problems;
}

/** An input or literal name of a job (a key of InputData). */
export function inputNameProblem(name: string): string | undefined {
  return /^[A-Za-z_][A-Za-z0-9_-]{0,254}$/.test(name) ? undefined : 'Start with a letter or "_"; use only letters, digits, "_" and "-".';
}

/** The props of a Fluent UI Field that shows a problem (nothing when there is none). */
export function fieldProblem(problem: string | undefined): { validationState?: 'error'; validationMessage?: string } {
  return problem ? { validationState: 'error', validationMessage: problem } : {};
}
