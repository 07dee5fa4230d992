/**
 * Azure ML's ARM path to a workspace. Every route is also served under it, so a user of Azure ML's
 * REST API changes only the host (`https://management.azure.com` -> this app's `/api`); the
 * subscription, group and workspace segments are accepted whatever they say (one workspace per app).
 */
export const ARM_WORKSPACE_PREFIX =
  'subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningServices/workspaces/{workspaceName}/';

/** The prefix as a pattern: any subscription, group and workspace, any case, a leading slash or none. */
const ARM_WORKSPACE = new RegExp(`^/?${ARM_WORKSPACE_PREFIX.replace(/\./g, '\\.').replace(/\{[^}]+\}/g, '[^/]+').replace(/\/$/, '(?:/|$)')}`, 'i');

/**
 * What follows the ARM workspace prefix (`batchEndpoints/e` of `subscriptions/.../workspaces/w/batchEndpoints/e`;
 * '' for the workspace itself), or undefined when `path` does not start with it. For paths (the
 * catch-all) and ARM resource ids (input URIs) alike.
 */
export function afterArmWorkspace(path: string): string | undefined {
  const match = ARM_WORKSPACE.exec(path);
  return match ? path.slice(match[0].length) : undefined;
}
