/** `%NAME%` in a binding property refers to an app setting, resolved once when the host starts. */
export function resolveAppSettings(value: string, env: NodeJS.ProcessEnv, what: string): string {
  return value.replace(/%([^%]+)%/g, (_, name: string) => {
    const v = env[name];
    if (v === undefined) throw new Error(`${what} refers to app setting '${name}', which is not set.`);
    return v;
  });
}

/**
 * `AzureWebJobs.<name>.Disabled` = true turns a function off, as in the real host (Linux app
 * settings cannot hold dots, hence the underscore form too).
 */
export function isFunctionDisabled(name: string, env: NodeJS.ProcessEnv): boolean {
  const value = env[`AzureWebJobs.${name}.Disabled`] ?? env[`AzureWebJobs_${name}_Disabled`];
  return value !== undefined && /^(true|1)$/i.test(value.trim());
}
