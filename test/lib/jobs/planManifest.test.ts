import { beforeAll, describe, expect, inject, it } from 'vitest';
import { BlockBlobClient, ContainerClient, type BlobGetPropertiesOptions } from '@azure/storage-blob';
import { newJobId } from '../../../lib/jobs/jobId';
import { PlanManifest } from '../../../lib/jobs/planManifest';
import type { InputFile } from '../../../lib/jobs/types';
import { storageClients } from '../../../lib/storage/clients';

// A plan chunk only grows: created once, extended when a later write begins with it (a chunk
// planned in two steps), and otherwise kept as stored, since mini-batches may be scoring from it.
// Real Azurite.

let scratch: ContainerClient;
let connectionString: string;
beforeAll(() => {
  connectionString = inject('storageConnectionString');
  scratch = storageClients({ connectionString }).blob.getContainerClient('libplanmanifest');
});

/** What another writer does right after a blob's properties are read (once). */
interface Gap {
  between?: () => Promise<unknown>;
}

/** A real blob client that runs the gap's work after its next getProperties, before its caller goes on. */
class BlobWithAGap extends BlockBlobClient {
  constructor(cs: string, container: string, name: string, private readonly gap: Gap) {
    super(cs, container, name);
  }
  override async getProperties(options?: BlobGetPropertiesOptions) {
    const properties = await super.getProperties(options);
    const between = this.gap.between;
    this.gap.between = undefined;
    if (between) await between();
    return properties;
  }
}

class ContainerWithAGap extends ContainerClient {
  readonly gap: Gap = {};
  constructor(private readonly cs: string, private readonly name_: string) {
    super(cs, name_);
  }
  override getBlockBlobClient(blobName: string): BlockBlobClient {
    return new BlobWithAGap(this.cs, this.name_, blobName, this.gap);
  }
}

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

  it('is read as one version while planRest extends it, never as a cut-off of the longer one', async () => {
    const jobId = newJobId();
    await new PlanManifest(scratch).write(jobId, 0, plan('a', 'c'));
    // Another host (nothing cached) reads the chunk; between its size read and its download,
    // planRest writes the whole chunk.
    const gapped = new ContainerWithAGap(connectionString, 'libplanmanifest');
    gapped.gap.between = () => new PlanManifest(scratch).write(jobId, 0, plan('a', 'c', 'e', 'g'));
    // Without the version pinned: the first bytes of the longer chunk, "Unexpected end of JSON input".
    const read = names(await new PlanManifest(gapped).read(jobId, 0));
    expect([['a', 'c'], ['a', 'c', 'e', 'g']]).toContainEqual(read);
    expect(gapped.gap.between).toBeUndefined(); // the write did come in between
  });
});
