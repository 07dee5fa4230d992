import {
  ContainerSASPermissions,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
  type ContainerClient,
  type BlobServiceClient,
} from '@azure/storage-blob';

/** What an upload SAS allows: create, write, add and list (no read, no delete). One hour, as Azure ML's. */
export const UPLOAD_SAS_PERMISSIONS = 'cwal';
export const UPLOAD_SAS_LIFETIME_MS = 60 * 60 * 1000;

/**
 * A container SAS URL for uploads. With an account key (Azurite, key-based connection strings) the
 * SAS is signed with the key; with an identity (Azure: keys are off) it is a user delegation SAS
 * signed with a key the app's identity asks the blob service for.
 */
export async function uploadSasUrl(service: BlobServiceClient, container: ContainerClient, now: Date): Promise<string> {
  const startsOn = new Date(now.getTime() - 5 * 60 * 1000); // clock skew between the app and storage
  const expiresOn = new Date(now.getTime() + UPLOAD_SAS_LIFETIME_MS);
  const permissions = ContainerSASPermissions.parse(UPLOAD_SAS_PERMISSIONS);
  if (container.credential instanceof StorageSharedKeyCredential) {
    return container.generateSasUrl({ permissions, startsOn, expiresOn });
  }
  const key = await service.getUserDelegationKey(startsOn, expiresOn);
  const sas = generateBlobSASQueryParameters(
    { containerName: container.containerName, permissions, startsOn, expiresOn },
    key,
    service.accountName,
  ).toString();
  return `${container.url}?${sas}`;
}
