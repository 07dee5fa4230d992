import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { enc, MANAGE, type ApiClient } from './client';
import { CliError } from './errors';

/** The asset kinds the pending-upload route serves (CONTRACTS.md). */
export type UploadKind = 'models' | 'codes' | 'data';

interface PendingUpload {
  pendingUploadId: string;
  blobReferenceForConsumption: { blobUri: string; credential: { credentialType: string; sasUri: string } };
  assetUri: string;
  exists: boolean;
}

interface LocalFile {
  path: string;
  /** Relative to the uploaded folder, with '/'. */
  name: string;
  size: number;
}

/** The files of a folder (recursive, name order) or the one file. */
export function filesOf(path: string): { files: LocalFile[]; isFolder: boolean } {
  const stat = statSync(path);
  if (!stat.isDirectory()) return { files: [{ path, name: basename(path), size: stat.size }], isFolder: false };
  const files: LocalFile[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) files.push({ path: full, name: relative(path, full).split('\\').join('/'), size: statSync(full).size });
    }
  };
  walk(path);
  return { files, isFolder: true };
}

/** sha256 over each file's relative name and content hash: the same folder gives the same id anywhere. */
export async function contentHash(files: LocalFile[]): Promise<string> {
  const all = createHash('sha256');
  for (const file of files) {
    const one = createHash('sha256');
    for await (const chunk of createReadStream(file.path)) one.update(chunk as Buffer);
    all.update(`${file.name}\0${one.digest('hex')}\n`);
  }
  return all.digest('hex');
}

export interface Uploaded {
  /** The URI to register: the folder's `azureml://.../LocalUpload/<id>/`, or the file inside it. */
  uri: string;
  hash: string;
  /** False when the same content was already there (nothing sent). */
  uploaded: boolean;
  isFolder: boolean;
}

/**
 * Uploads a local file or folder as `az ml` does: ask the service for a pending upload
 * (`POST /api/{kind}/{name}/versions/{version}/startPendingUpload`, id = the content hash so an
 * unchanged folder is not sent twice), then write the files with the container SAS it answers.
 */
export async function uploadLocal(
  client: ApiClient,
  kind: UploadKind,
  asset: { name: string; version: string },
  path: string,
  note: (line: string) => void,
  known?: { hash: string },
): Promise<Uploaded> {
  const { files, isFolder } = filesOf(path);
  if (!files.length) throw new CliError(`${path} is an empty folder: nothing to upload.`, 2);
  const hash = known?.hash ?? (await contentHash(files));
  const id = hash.slice(0, 32);
  const route = `${kind}/${enc(asset.name)}/versions/${enc(asset.version)}/startPendingUpload`;
  const answer = await client.request<PendingUpload>('POST', route, {
    roles: MANAGE,
    body: { pendingUploadId: id, pendingUploadType: 'TemporaryBlobReference' },
    accept: [404, 405],
  });
  if (answer.status === 404 || answer.status === 405) {
    throw new CliError(`This service has no upload route (${route} answered ${answer.status}): upload ${path} yourself and give its azureml:// URI instead.`, 1, 'UploadNotSupported');
  }
  const pending = answer.body;
  const folderUri = pending.assetUri.endsWith('/') ? pending.assetUri : `${pending.assetUri}/`;
  const uri = isFolder ? folderUri : `${folderUri}${files[0]!.name}`;
  // Loaded here, not at start: it is the CLI's heaviest import and only uploads need it.
  const { ContainerClient } = await import('@azure/storage-blob');
  const container = new ContainerClient(pending.blobReferenceForConsumption.credential.sasUri);
  // blobUri is `<container URL>/LocalUpload/<id>`: the blob names start after the container URL.
  const containerUrl = container.url.split('?')[0]!.replace(/\/+$/, '');
  const prefix = decodeURIComponent(pending.blobReferenceForConsumption.blobUri.slice(containerUrl.length + 1)).replace(/\/+$/, '');
  let todo = files;
  if (pending.exists) {
    // "exists" means some blob is there: an upload cut short leaves some. Send only what is missing.
    const present = new Map<string, number>();
    for await (const blob of container.listBlobsFlat({ prefix: `${prefix}/` })) present.set(blob.name.slice(prefix.length + 1), blob.properties.contentLength ?? -1);
    todo = files.filter((f) => present.get(f.name) !== f.size);
    if (!todo.length) {
      note(`${path}: unchanged (content ${id}), already uploaded.`);
      return { uri, hash, uploaded: false, isFolder };
    }
    note(`${path}: ${files.length - todo.length} of ${files.length} files already uploaded (content ${id}); sending the rest.`);
  }
  const bytes = todo.reduce((n, f) => n + f.size, 0);
  note(`Uploading ${path} (${todo.length} file${todo.length === 1 ? '' : 's'}, ${bytes} bytes) to ${folderUri}`);
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const file = todo[next++]!;
      await container.getBlockBlobClient(`${prefix}/${file.name}`).uploadFile(file.path);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(4, todo.length) }, worker));
  } catch (err) {
    throw new CliError(`Upload of ${path} failed: ${(err as Error).message.split('\n')[0]}`);
  }
  return { uri, hash, uploaded: true, isFolder };
}
