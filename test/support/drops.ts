import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerClient } from '@azure/storage-blob';
import { samplesDir, startApp, type AppStack } from './appHost';

/** A blob written into the inbox: what a BlobCreated event describes. */
export interface PutBlob {
  url: string;
  etag: string;
  length: number;
}

/**
 * What the blob-drop tests share (test/e2e/drops.test.ts, dropWebhook.test.ts): an app (startApp)
 * with the inbox created, and the inbox and outbox as a user of drops sees them.
 */
export interface DropApp {
  app: AppStack;
  inbox: ContainerClient;
  outbox: ContainerClient;
  /** Writes one blob (into the inbox unless another container is given). */
  put(name: string, data: string | Buffer, container?: ContainerClient): Promise<PutBlob>;
  /** A drop folder: the Iris sample's data files given (default `iris-part-1.csv`), then `extra` files, then `_SUCCESS` (returned). */
  dropFolder(path: string, files?: string[], extra?: Record<string, string>): Promise<PutBlob>;
  /** A JSON blob, or undefined when it does not exist. */
  readJson(container: ContainerClient, name: string): Promise<any | undefined>;
  /** Waits for a JSON blob in the outbox (a drop's `_result.json`, written when its job ends or is refused). */
  resultOf(name: string): Promise<any>;
  /** The endpoint's jobs whose input is the drop at `path`. */
  jobsOfDrop(endpoint: string, path: string): Promise<any[]>;
  /** Waits until the host is done with this version of an inbox blob: its blob receipt (written after the function succeeded). */
  handled(name: string, etag: string): Promise<void>;
}

export async function startDropApp(settings: Record<string, string> = {}): Promise<DropApp> {
  const app = await startApp(settings);
  const inbox = app.blob.getContainerClient('batch-inbox');
  const outbox = app.blob.getContainerClient('batch-outbox');
  await inbox.createIfNotExists();
  const put = async (name: string, data: string | Buffer, container = inbox): Promise<PutBlob> => {
    const blob = container.getBlockBlobClient(name);
    const { etag } = await blob.upload(data, Buffer.byteLength(data));
    return { url: blob.url, etag: etag!, length: Buffer.byteLength(data) };
  };
  const readJson = async (container: ContainerClient, name: string) => {
    const blob = container.getBlobClient(name);
    return (await blob.exists()) ? JSON.parse((await blob.downloadToBuffer()).toString('utf8')) : undefined;
  };
  return {
    app,
    inbox,
    outbox,
    put,
    readJson,
    async dropFolder(path, files = ['iris-part-1.csv'], extra = {}) {
      for (const file of files) await put(`${path}/${file}`, readFileSync(join(samplesDir, 'data', file)));
      for (const [name, text] of Object.entries(extra)) await put(`${path}/${name}`, text);
      return put(`${path}/_SUCCESS`, '');
    },
    resultOf: (name) => app.waitUntil(`${name} in the outbox`, () => readJson(outbox, name), 120_000, 200),
    async jobsOfDrop(endpoint, path) {
      const jobs: any[] = (await app.apiOk('GET', `batchEndpoints/${endpoint}/jobs`)).body.value;
      return jobs.filter((j) => j.properties.inputData.input_data?.uri === `azureml://datastores/batch_inbox/paths/${path}`);
    },
    async handled(name, etag) {
      const hosts = app.blob.getContainerClient('azure-webjobs-hosts');
      const suffix = `/${etag}/${inbox.containerName}/${name}`;
      await app.waitUntil(`the receipt of ${name} ${etag}`, async () => {
        for await (const item of hosts.listBlobsFlat({ prefix: 'blobreceipts/' })) if (item.name.endsWith(suffix)) return true;
        return undefined;
      }, 120_000, 200);
    },
  };
}
