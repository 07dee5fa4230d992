import { mapLimited } from '../util/mapLimited';
import { ensureContainer, statusOf } from '../storage/once';
import type { ContainerClient } from '@azure/storage-blob';
import type { InputFile } from './types';

const ignoreNotFound = (err: unknown): void => {
  if (statusOf(err) !== 404) throw err;
};

/**
 * A job's plan, one blob per chunk of mini-batches: written once when the job prepares, read by
 * the mini-batch activities (cached per process). Keeps activity inputs and orchestration history
 * small, and lets the first mini-batch start without writing a row per mini-batch first.
 */
export class PlanManifest {
  private readonly cache = new Map<string, Promise<InputFile[][]>>();

  constructor(
    private readonly container: ContainerClient,
    private readonly maxCached = 32,
  ) {}

  private blob(jobId: string, chunk: number) {
    return this.container.getBlockBlobClient(`${jobId}/chunk-${String(chunk).padStart(6, '0')}.json`);
  }

  async write(jobId: string, chunk: number, batches: InputFile[][]): Promise<void> {
    await ensureContainer(this.container);
    const text = JSON.stringify(batches);
    await this.blob(jobId, chunk).upload(text, Buffer.byteLength(text), { blobHTTPHeaders: { blobContentType: 'application/json' } });
    // This host's mini-batches of the chunk need not read back what it just wrote.
    this.remember(`${jobId}/${chunk}`, Promise.resolve(JSON.parse(text) as InputFile[][]));
  }

  private remember(key: string, batches: Promise<InputFile[][]>): void {
    this.cache.delete(key);
    this.cache.set(key, batches);
    while (this.cache.size > this.maxCached) this.cache.delete(this.cache.keys().next().value!);
  }

  /** Deletes everything the job keeps in this container (its plan, and its output parts). */
  async deleteJob(jobId: string): Promise<void> {
    for (const key of [...this.cache.keys()]) if (key.startsWith(`${jobId}/`)) this.cache.delete(key);
    const names: string[] = [];
    for await (const blob of this.container.listBlobsFlat({ prefix: `${jobId}/` })) names.push(blob.name);
    await mapLimited(names, 16, (name) => this.container.deleteBlob(name, { deleteSnapshots: 'include' }).catch(ignoreNotFound));
  }

  /**
   * The files of one mini-batch. A chunk cached before planRest completed it (prepare plans the
   * first chunk's head only) is read again for a mini-batch past what it held.
   */
  async miniBatch(jobId: string, index: number, chunkSize: number): Promise<InputFile[] | undefined> {
    const chunk = Math.floor(index / chunkSize);
    const offset = index - chunk * chunkSize;
    const cached = await this.read(jobId, chunk);
    if (offset < cached.length) return cached[offset];
    this.cache.delete(`${jobId}/${chunk}`);
    return (await this.read(jobId, chunk))[offset];
  }

  /** The mini-batches of one chunk (index within the chunk = mini-batch index - chunk start). */
  read(jobId: string, chunk: number): Promise<InputFile[][]> {
    const key = `${jobId}/${chunk}`;
    let batches = this.cache.get(key);
    if (batches) {
      // Refresh its place: the map's order is the eviction order.
      this.cache.delete(key);
      this.cache.set(key, batches);
      return batches;
    }
    batches = this.blob(jobId, chunk)
      .downloadToBuffer()
      .then((data) => JSON.parse(data.toString('utf8')) as InputFile[][]);
    batches.catch(() => this.cache.delete(key));
    this.remember(key, batches);
    return batches;
  }
}
