import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { ContainerClient } from '@azure/storage-blob';
import { newJobId } from '../../../lib/jobs/jobId';
import { PlanManifest } from '../../../lib/jobs/planManifest';
import type { InputFile } from '../../../lib/jobs/types';
import { storageClients } from '../../../lib/storage/clients';

// A plan chunk only grows: created once, extended when a later write begins with it (a chunk
// planned in two steps), and otherwise kept as stored, since mini-batches may be scoring from it.
// Real Azurite.

let scratch: ContainerClient;
beforeAll(() => {
  scratch = storageClients({ connectionString: inject('storageConnectionString') }).blob.getContainerClient('libplanmanifest');
});

const file = (name: string): InputFile => ({ name, ref: { kind: 'datastore', datastore: 'workspaceblobstore', path: `in/${name}` }, size: 1 });
const plan = (...names: string[]) => names.map((n) => [file(n)]);
const names = (batches: InputFile[][]) => batches.map((b) => b.map((f) => f.name).join('+'));

describe('a plan chunk', () => {
  it('is created once, extended by a plan that begins with it, and never replaced or shortened', async () => {
    const jobId = newJobId();
    const writer = new PlanManifest(scratch);
    const stored = async () => names(await new PlanManifest(scratch).read(jobId, 0)); // nothing cached
    expect(names(await writer.write(jobId, 0, plan('a', 'c')))).toEqual(['a', 'c']);
    // The whole chunk after its head: extended.
    expect(names(await writer.write(jobId, 0, plan('a', 'c', 'e')))).toEqual(['a', 'c', 'e']);
    expect(await stored()).toEqual(['a', 'c', 'e']);
    // A late run with the head only: the longer chunk stands, and is what it gets back.
    expect(names(await writer.write(jobId, 0, plan('a', 'c')))).toEqual(['a', 'c', 'e']);
    // A listing that changed (b arrived): the stored chunk stands.
    expect(names(await writer.write(jobId, 0, plan('a', 'b', 'c', 'e')))).toEqual(['a', 'c', 'e']);
    expect(await stored()).toEqual(['a', 'c', 'e']);
    // What this process reads is the stored chunk too.
    expect(names(await writer.read(jobId, 0))).toEqual(['a', 'c', 'e']);
  });
});
