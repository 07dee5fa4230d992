import { mapLimited } from '../util/mapLimited';
import { ensureContainer, isAlreadyExists, statusOf } from '../storage/once';
import { readPinned } from '../storage/readPinned';
import type { BlockBlobClient, ContainerClient } from '@azure/storage-blob';
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

  /**
   * Writes one chunk of the plan and returns the chunk as stored. A chunk only grows: it is created
   * once (If-None-Match: *), and a chunk already there may only be extended, replaced If-Match
   * the version read when it is a strict prefix of this one (a chunk planned in two steps). One
   * that is the same, longer, or different was written by an earlier run of the planning activity
   * (a retry, or a twin Durable ran at the same time) and mini-batches may be scoring from it: it
   * is kept and returned, never replaced by a plan made from a later listing.
   */
  async write(jobId: string, chunk: number, batches: InputFile[][]): Promise<InputFile[][]> {
    await ensureContainer(this.container);
    const blob = this.blob(jobId, chunk);
    const text = JSON.stringify(batches);
    const options = { blobHTTPHeaders: { blobContentType: 'application/json' } };
    const key = `${jobId}/${chunk}`;
    // This host's mini-batches of the chunk need not read back what it just wrote or found.
    const stored = (chunkAsStored: InputFile[][]): InputFile[][] => {
      this.remember(key, Promise.resolve(chunkAsStored));
      return chunkAsStored;
    };
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await blob.upload(text, Buffer.byteLength(text), { ...options, conditions: { ifNoneMatch: '*' } });
        return stored(JSON.parse(text) as InputFile[][]);
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
      this.cache.delete(key);
      try {
        const { etag, batches: existing } = await this.readVersion(blob);
        if (existing.length >= batches.length || !startsWith(batches, existing)) return stored(existing);
        await blob.upload(text, Buffer.byteLength(text), { ...options, conditions: { ifMatch: etag } });
        return stored(JSON.parse(text) as InputFile[][]);
      } catch (err) {
        // Changed or deleted between the reads and the write: look again.
        if (statusOf(err) !== 412 && statusOf(err) !== 404) throw err;
      }
    }
    throw new Error(`Plan chunk ${chunk} of job ${jobId} kept changing while it was written; try again.`);
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

  /** One version of a chunk and its ETag (readPinned): planRest may extend the chunk meanwhile. */
  private async readVersion(blob: BlockBlobClient): Promise<{ etag: string | undefined; batches: InputFile[][] }> {
    const { etag, data } = await readPinned(blob);
    return { etag, batches: JSON.parse(data.toString('utf8')) as InputFile[][] };
  }

  /** A chunk as stored, read again when it changed between the size read and the download. */
  private async fetch(jobId: string, chunk: number): Promise<InputFile[][]> {
    const blob = this.blob(jobId, chunk);
    for (let attempt = 0; ; attempt++) {
      try {
        return (await this.readVersion(blob)).batches;
      } catch (err) {
        if (statusOf(err) !== 412 || attempt >= 4) throw err;
      }
    }
  }

  /** The mini-batches of one chunk (index within the chunk = mini-batch index - chunk start). */
  read(jobId: string, chunk: number): Promise<InputFile[][]> {
    const key = `${jobId}/${chunk}`;
    let batches = this.cache.get(key);
    if (batches) {
      this.remember(key, batches); // refresh its place: the map's order is the eviction order
      return batches;
    }
    batches = this.fetch(jobId, chunk);
    batches.catch(() => this.cache.delete(key));
    this.remember(key, batches);
    return batches;
  }
}

/** Whether `whole` begins with the mini-batches of `head`, file for file. */
export function startsWith(whole: InputFile[][], head: InputFile[][]): boolean {
  return head.length <= whole.length && head.every((batch, i) => JSON.stringify(batch) === JSON.stringify(whole[i]));
}
