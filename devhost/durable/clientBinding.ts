/** Where the durable client's HTTP calls go on this host. */
export interface DurableEndpoints {
  /** Public origin for management URLs (http://localhost:7071). */
  publicOrigin: string;
  /** Loopback origin for the SDK's rpc calls. */
  rpcOrigin: string;
  hubName: string;
  connectionName: string;
  systemKey: string;
}

export const PUBLIC_BASE = '/runtime/webhooks/durabletask';
export const RPC_BASE = '/durabletask';

/** The value of a `durableClient` input binding, shaped as the Durable extension sends it. */
export function durableClientBinding(e: DurableEndpoints): Record<string, unknown> {
  const base = `${e.publicOrigin}${PUBLIC_BASE}`;
  const qs = `taskHub=${encodeURIComponent(e.hubName)}&connection=${encodeURIComponent(e.connectionName)}&code=${encodeURIComponent(e.systemKey)}`;
  const instance = `${base}/instances/INSTANCEID`;
  return {
    taskHubName: e.hubName,
    connectionName: e.connectionName,
    creationUrls: {
      createNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?${qs}`,
      createAndWaitOnNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${qs}`,
    },
    managementUrls: {
      id: 'INSTANCEID',
      statusQueryGetUri: `${instance}?${qs}`,
      sendEventPostUri: `${instance}/raiseEvent/{eventName}?${qs}`,
      terminatePostUri: `${instance}/terminate?reason={text}&${qs}`,
      rewindPostUri: `${instance}/rewind?reason={text}&${qs}`,
      purgeHistoryDeleteUri: `${instance}?${qs}`,
      restartPostUri: `${instance}/restart?${qs}`,
      suspendPostUri: `${instance}/suspend?reason={text}&${qs}`,
      resumePostUri: `${instance}/resume?reason={text}&${qs}`,
    },
    baseUrl: base,
    requiredQueryStringParameters: qs,
    rpcBaseUrl: `${e.rpcOrigin}${RPC_BASE}/`,
    httpBaseUrl: base,
  };
}

/** The management links returned when an instance starts (same shape as createHttpManagementPayload). */
export function managementLinks(e: DurableEndpoints, instanceId: string): Record<string, string> {
  const urls = durableClientBinding(e).managementUrls as Record<string, string>;
  const links: Record<string, string> = { id: instanceId };
  for (const [key, value] of Object.entries(urls)) {
    if (key !== 'id') links[key] = value.replace('INSTANCEID', encodeURIComponent(instanceId));
  }
  return links;
}
