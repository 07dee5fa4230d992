import { route } from '../shared/routes';
import { type HttpRequest, type InvocationContext } from '@azure/functions';
import { dataDeps } from '../../app/services';
import { containerFor } from '../../lib/locations/datastores';
import { storageProblem } from '../../lib/locations/storageErrors';
import { statusOf } from '../../lib/storage/once';
import { handle, param, registry } from './common';

const PAGE = 200;

/**
 * `GET /api/datastores/{name}/paths?prefix=<folder/>`: one level of a datastore's folders and
 * files, for the studio's datastore browser (Azure ML studio browses datastores the same way).
 * Folders end with '/'; `nextLink` pages on past 200 entries.
 */
export async function listDatastorePaths(request: HttpRequest, context: InvocationContext) {
  return handle(request, context, 'Read', async () => {
    const name = param(request, 'name');
    await registry.datastores.get(name);
    const prefix = (request.query.get('prefix') ?? '').replace(/^\/+/, '');
    const container = await containerFor({ kind: 'datastore', datastore: name, path: prefix }, dataDeps);
    const pages = container.listBlobsByHierarchy('/', { prefix }).byPage({ maxPageSize: PAGE, continuationToken: request.query.get('$skiptoken') ?? undefined });
    // A datastore whose container does not exist yet is empty, not an error.
    const page = (await pages.next().catch((err: unknown) => {
      if (statusOf(err) === 404) return { value: undefined };
      throw storageProblem(err, `Datastore '${name}'`);
    })).value as
      | { segment: { blobPrefixes?: { name: string }[]; blobItems: { name: string; properties: { contentLength?: number; lastModified?: Date } }[] }; continuationToken?: string }
      | undefined;
    const folders = (page?.segment.blobPrefixes ?? []).map((p) => ({ name: p.name, kind: 'folder' as const }));
    const files = (page?.segment.blobItems ?? []).map((b) => ({ name: b.name, kind: 'file' as const, size: b.properties.contentLength ?? 0, lastModified: b.properties.lastModified?.toISOString() }));
    const url = new URL(request.url);
    if (page?.continuationToken) url.searchParams.set('$skiptoken', page.continuationToken);
    return { jsonBody: { value: [...folders, ...files], ...(page?.continuationToken ? { nextLink: url.toString() } : {}) } };
  });
}

route('datastores-paths', { route: 'datastores/{name}/paths', methods: ['GET'], authLevel: 'anonymous', handler: listDatastorePaths });
