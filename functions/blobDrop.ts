import { app, type StorageBlobHandler } from '@azure/functions';
import * as df from 'durable-functions';
import { drops, idempotency, jobs } from '../app/services';
import { createJob } from '../lib/jobs/createJob';
import { jobOfRequest } from '../lib/jobs/idempotency';
import { startDropJob } from '../lib/drops/startDropJob';
import { writeResultBlob } from '../lib/drops/writeResult';
import { jobCreation } from './jobs/common';

/**
 * A blob in the inbox: `<endpoint>/<drop>/_SUCCESS` or `<endpoint>/<file>` starts one job through
 * the invoke's own path (lib/drops/startDropJob.ts). Event Grid is the blob trigger source Flex
 * Consumption supports; infra subscribes BlobCreated events of the inbox to this function's webhook.
 */
export const blobDrop: StorageBlobHandler = async (_blob, context) => {
  const client = df.getClient(context);
  const blobName = String(context.triggerMetadata?.name ?? '');
  const properties = context.triggerMetadata?.properties as { lastModified?: string; LastModified?: string } | undefined;
  const outcome = await startDropJob(
    {
      ...drops,
      createJob: (request) => createJob(jobCreation(client), request),
      jobOfRequest: (key) => jobOfRequest({ idempotency, jobs }, key),
      writeResult: writeResultBlob,
      log: (message) => context.log(message),
      now: () => new Date(),
    },
    blobName,
    properties?.lastModified ?? properties?.LastModified,
  );
  if (outcome.kind === 'ignored') context.debug(`Blob '${blobName}' completes no drop.`);
};

app.storageBlob('blobDrop', {
  path: `${drops.inbox.containerName}/{name}`,
  connection: 'AzureWebJobsStorage',
  source: 'EventGrid',
  extraInputs: [df.input.durableClient()],
  handler: blobDrop,
});
