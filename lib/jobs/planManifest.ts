import type { ContainerClient } from '@azure/storage-blob';
import type { InputFile } from './types';

/**
 * A job's plan, one blob per chunk of mini-batches: written once when the job prepares, read by
 * the mini-batch activities (cached per process). Keeps activity inputs and orchestration history
 * small, and lets the first mini-batch start without writing a row per mini-batch first.
 */
export class PlanManifest {
  private readonly cache = new Map<string, Promise<InputFile[][]>>();
  private ready?: Promise<unknown>;

  constructor(
    private readonly container: ContainerClient,
    private readonly maxCached = 32,
  ) {}

  private blob(jobId: string, chunk: number) {
    return this.container.getBlockBlobClient(`${jobId}/chunk-${String(chunk).padStart(6, '0')}.json`);
  }

  async write(jobId: string, chunk: number, batches: InputFile[][]): Promise<void> {
    this.ready ??= this.container.createIfNotExists().catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    await this.ready;
    const text = JSON.stringify(batches);
    await this.blob(jobId, chunk).upload(text, Buffer.byteLength(text), { blobHTTPHeaders: { blobContentType: 'application/json' } });
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
    this.cache.set(key, batches);
    while (this.cache.size > this.maxCached) this.cache.delete(this.cache.keys().next().value!);
    return batches;
  }
}
