/**
 * Azure ML's ARM path to a workspace. Every route is also served under it, so a user of Azure ML's
 * REST API changes only the host (`https://management.azure.com` -> this app's `/api`); the
 * subscription, group and workspace segments are accepted whatever they say (one workspace per app).
 */
export const ARM_WORKSPACE_PREFIX =
  'subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningServices/workspaces/{workspaceName}/';
