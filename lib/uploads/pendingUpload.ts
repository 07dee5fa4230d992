import { randomUUID } from 'node:crypto';
import type { BlobServiceClient } from '@azure/storage-blob';
import { z } from 'zod';
import { looseEnum, parseOrThrow } from '../registry/validation';
import { ensureContainer } from '../storage/once';
import { uploadSasUrl } from './containerSas';

/** Where uploads land in the workspace container, as in Azure ML (`LocalUpload/<id>/...`). */
export const UPLOAD_FOLDER = 'LocalUpload';

/** Azure ML's `startPendingUpload` body; the id is optional (the CLI sends a content hash). */
export const pendingUploadRequestSchema = z
  .object({
    pendingUploadId: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,64}$/, 'must be 1-64 letters, digits or "-"')
      .optional(),
    pendingUploadType: looseEnum(['TemporaryBlobReference']).default('TemporaryBlobReference'),
  })
  .strict();

export interface PendingUploadResponse {
  pendingUploadId: string;
  pendingUploadType: 'TemporaryBlobReference';
  blobReferenceForConsumption: {
    blobUri: string;
    storageAccountArmId: null;
    credential: { credentialType: 'SAS'; sasUri: string };
  };
  assetUri: string;
  exists: boolean;
}

export interface PendingUploadDeps {
  blob: BlobServiceClient;
  /** The container behind `workspaceblobstore`. */
  containerName: string;
  now: () => Date;
}

/**
 * A place to upload an asset's files (Azure ML's `getStartPendingUpload`): a folder of the workspace
 * container and a SAS that may write there. `exists` says files are already under that folder, so a
 * content-addressed client can skip the upload.
 */
export async function startPendingUpload(deps: PendingUploadDeps, body: unknown): Promise<PendingUploadResponse> {
  const request = parseOrThrow(pendingUploadRequestSchema, body ?? {});
  const id = request.pendingUploadId ?? randomUUID().replace(/-/g, '');
  const container = deps.blob.getContainerClient(deps.containerName);
  await ensureContainer(container);
  const folder = `${UPLOAD_FOLDER}/${id}/`;
  const first = await container.listBlobsFlat({ prefix: folder }).byPage({ maxPageSize: 1 }).next();
  const exists = !first.done && first.value.segment.blobItems.length > 0;
  const sasUri = await uploadSasUrl(deps.blob, container, deps.now());
  return {
    pendingUploadId: id,
    pendingUploadType: 'TemporaryBlobReference',
    blobReferenceForConsumption: {
      blobUri: `${container.url}/${UPLOAD_FOLDER}/${id}`,
      storageAccountArmId: null,
      credential: { credentialType: 'SAS', sasUri },
    },
    assetUri: `azureml://datastores/workspaceblobstore/paths/${folder}`,
    exists,
  };
}
