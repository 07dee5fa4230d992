/**
 * Uploads a local folder (or file) to the workspace datastore, the way Azure ML's CLI does:
 * asks the app for a place and a SAS (`POST .../startPendingUpload`), then writes the files with it.
 *   npm run upload -- ./my-model models/my-model     -> azureml://datastores/workspaceblobstore/paths/models/my-model/
 *   npm run upload -- ./my-model                     -> .../paths/LocalUpload/<content hash>/ (skipped when already there)
 * The printed URI goes into `modelUri`, `codeUri`, `dataUri` or an invoke's input.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { ContainerClient } from '@azure/storage-blob';
import { signToken } from '../devhost/issuer';
import { mapLimited } from '../lib/util/mapLimited';

const USAGE = `Usage: npm run upload -- <folder or file> [<datastore path>] [options]
  <datastore path>   where in workspaceblobstore (default: LocalUpload/<content hash>, as Azure ML's CLI)
  --url <url>        the app (default: $AZMLB_URL, as for azmlb, or http://localhost:7071)
  --token <token>    a bearer token with BatchEndpoints.Manage (default: $TOKEN, else one from the local issuer)`;

/** Files under a folder (or the file itself), with their paths relative to it in '/' form. */
function filesOf(source: string): { path: string; name: string }[] {
  if (statSync(source).isFile()) return [{ path: source, name: basename(source) }];
  const out: { path: string; name: string }[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) out.push({ path: full, name: relative(source, full).split(sep).join('/') });
    }
  };
  walk(source);
  return out;
}

/** The content hash the CLI contract uses as `pendingUploadId`: sha256 over names and bytes, 32 hex chars. */
function contentHash(files: { path: string; name: string }[]): string {
  const hash = createHash('sha256');
  for (const f of files) hash.update(f.name).update('\0').update(readFileSync(f.path)).update('\0');
  return hash.digest('hex').slice(0, 32);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { url: { type: 'string' }, token: { type: 'string' }, help: { type: 'boolean', default: false } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help || positionals.length < 1 || positionals.length > 2) {
    process.stdout.write(`${USAGE}\n`);
    if (!values.help) process.exitCode = 2;
    return;
  }
  const [source, target] = positionals as [string, string | undefined];
  const files = filesOf(source);
  if (files.length === 0) throw new Error(`${source} has no files.`);
  // BATCH_ENDPOINTS_URL: the name this script read before it shared azmlb's.
  const url = (values.url || process.env['AZMLB_URL'] || process.env['BATCH_ENDPOINTS_URL'] || 'http://localhost:7071').replace(/\/+$/, '');
  const token = values.token ?? process.env['TOKEN'] ?? (await signToken({ roles: ['BatchEndpoints.Manage'], expiresIn: '1h', kind: 'user' }));
  const id = contentHash(files);
  const res = await fetch(`${url}/api/data/local-upload/versions/1/startPendingUpload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ pendingUploadId: id, pendingUploadType: 'TemporaryBlobReference' }),
  });
  const answer = (await res.json().catch(() => undefined)) as any;
  if (res.status !== 200) throw new Error(`startPendingUpload answered ${res.status}: ${JSON.stringify(answer)}`);
  const folder = target ? target.replace(/^\/+|\/+$/g, '') : `LocalUpload/${id}`;
  const uri = `azureml://datastores/workspaceblobstore/paths/${folder}/`;
  const count = `${files.length} file${files.length === 1 ? '' : 's'}`;
  const container = new ContainerClient(answer.blobReferenceForConsumption.credential.sasUri);
  let todo = files.map((f) => ({ ...f, size: statSync(f.path).size }));
  if (!target && answer.exists) {
    // "exists" means some blob is there: an upload cut short leaves some. Send only what is missing
    // (as the CLI does), or the URI printed would name an incomplete folder.
    const present = new Map<string, number>();
    for await (const blob of container.listBlobsFlat({ prefix: `${folder}/` })) present.set(blob.name.slice(folder.length + 1), blob.properties.contentLength ?? -1);
    todo = todo.filter((f) => present.get(f.name) !== f.size);
  }
  if (todo.length === 0) {
    process.stderr.write(`Already uploaded (same content): ${count}.\n`);
  } else {
    await mapLimited(todo, 8, (f) => container.getBlockBlobClient(`${folder}/${f.name}`).uploadFile(f.path));
    process.stderr.write(todo.length === files.length ? `Uploaded ${count} to ${uri}\n` : `Uploaded the ${todo.length} missing of ${count} to ${uri}\n`);
  }
  // stdout: only the URI (a single file: its own URI), so it can be captured
  process.stdout.write(`${statSync(source).isFile() ? `${uri}${files[0]!.name}` : uri}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`upload: ${(err as Error).message}\n${USAGE}\n`);
  process.exitCode = 1;
});
