import { posix } from 'node:path';
import type { ContainerClient } from '@azure/storage-blob';
import type { OutputPlace } from '../output/location';
import type { JobOutputLocation, JobRecord } from '../jobs/types';
import { ensureContainer, statusOf } from '../storage/once';
import { readPinned } from '../storage/readPinned';
import { RESULT_FILE } from './dropPath';
import { jobResult, type DropResult } from './result';

/** The same outcome but for when it was written (a refusal says when it was refused). */
const sameOutcome = (a: DropResult, b: DropResult): boolean =>
  JSON.stringify({ ...a, times: { ...a.times, ended: '' } }) === JSON.stringify({ ...b, times: { ...b.times, ended: '' } });

/**
 * Writes a result document, unless the blob already says the same: every write fires the
 * blob triggers watching results (a Logic App's "added or modified") again, and a result is
 * written again by a repeated delivery of a refused drop and by finish run again.
 */
export async function writeResultBlob(blob: { container: ContainerClient; name: string }, result: DropResult): Promise<void> {
  const text = `${JSON.stringify(result, null, 2)}\n`;
  await ensureContainer(blob.container);
  const client = blob.container.getBlockBlobClient(blob.name);
  const stored = await client.downloadToBuffer().then((data) => data.toString('utf8'), (err: unknown) => {
    if (statusOf(err) === 404) return undefined;
    throw err;
  });
  if (stored !== undefined && sameOutcome(parsedResult(stored), result)) return;
  await client.upload(text, Buffer.byteLength(text), { blobHTTPHeaders: { blobContentType: 'application/json; charset=utf-8' } });
}

/** A stored result, or an empty object when it is not one (someone else's blob): then it is replaced. */
function parsedResult(text: string): DropResult {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') return parsed as DropResult;
  } catch {
    // not JSON
  }
  return {} as DropResult;
}

/**
 * Deletes a refusal (`jobId` null) at `blob` once the drop has its job (dropped again after a fix):
 * it would say Failed while the job runs, and for ever when the job's output, and so its result,
 * goes elsewhere. A result written meanwhile (a new ETag) stays.
 */
export async function deleteRefusal(blob: { container: ContainerClient; name: string }): Promise<void> {
  const client = blob.container.getBlobClient(blob.name);
  try {
    const { data, etag } = await readPinned(client);
    if (parsedResult(data.toString('utf8')).jobId !== null) return;
    await client.delete({ conditions: { ifMatch: etag } });
  } catch (err) {
    if (statusOf(err) !== 404 && statusOf(err) !== 412) throw err;
  }
}

export interface JobResultDeps {
  place(location: JobOutputLocation): Promise<OutputPlace>;
  baseUrl: string;
  now(): Date;
}

/** When a drop's job has ended: `_result.json` next to its output. Jobs not from a drop are left alone. */
export async function writeJobResult(deps: JobResultDeps, job: JobRecord): Promise<void> {
  const source = job.spec.drop;
  if (!source) return;
  const place = await deps.place(job.spec.output);
  const name = posix.join(posix.dirname(place.path), RESULT_FILE);
  await writeResultBlob({ container: place.container, name }, jobResult(job, source, deps.baseUrl, deps.now()));
}
