import { posix } from 'node:path';
import type { ContainerClient } from '@azure/storage-blob';
import type { OutputPlace } from '../output/location';
import type { JobOutputLocation, JobRecord } from '../jobs/types';
import { ensureContainer } from '../storage/once';
import { RESULT_FILE } from './dropPath';
import { jobResult, type DropResult } from './result';

/** Writes (or rewrites: the same content each time) a result document. */
export async function writeResultBlob(blob: { container: ContainerClient; name: string }, result: DropResult): Promise<void> {
  const text = `${JSON.stringify(result, null, 2)}\n`;
  await ensureContainer(blob.container);
  await blob.container.getBlockBlobClient(blob.name).upload(text, Buffer.byteLength(text), { blobHTTPHeaders: { blobContentType: 'application/json; charset=utf-8' } });
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
