import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { ApiError } from '../http/apiError';
import { localPathFor } from '../inputs/download';
import { validateInputUri, type DataDeps } from '../inputs/resolveInput';
import { containerFor } from '../locations/datastores';
import type { JobSpec } from '../jobs/types';
import { fatal } from '../util/fatal';

/** Model and code downloads are capped: a registered asset must not fill the disk. */
export const DEFAULT_MAX_ASSET_BYTES = 2 * 1024 ** 3;

/**
 * Local copies of model and code assets, downloaded once per process and asset version (versions
 * are immutable) into a cache folder. A download goes to a temporary folder that is renamed into
 * place when complete, so a crash never leaves a half-copied asset behind.
 */
export class LocalAssets {
  private readonly pending = new Map<string, Promise<string>>();

  constructor(
    private readonly deps: DataDeps,
    private readonly cacheDir: string,
    private readonly maxBytes = DEFAULT_MAX_ASSET_BYTES,
  ) {}

  model(spec: Pick<JobSpec, 'model'>): Promise<string> {
    return this.ensure('models', `${spec.model.name}:${spec.model.version}`, spec.model.modelUri);
  }

  async code(spec: Pick<JobSpec, 'code'>): Promise<string | undefined> {
    if (!spec.code) return undefined;
    return this.ensure('codes', `${spec.code.name}:${spec.code.version}`, spec.code.codeUri);
  }

  private ensure(kind: string, id: string, uri: string): Promise<string> {
    // The storage account is part of the key: the same name and version elsewhere is another asset.
    const key = createHash('sha256').update(`${this.deps.blob.url}|${kind}|${id}|${uri}`).digest('hex').slice(0, 24);
    let promise = this.pending.get(key);
    if (!promise) {
      promise = this.download(kind, id, uri, join(this.cacheDir, kind, key)).catch((err) => {
        this.pending.delete(key);
        throw err;
      });
      this.pending.set(key, promise);
    }
    return promise;
  }

  private async download(kind: string, id: string, uri: string, dir: string): Promise<string> {
    // Next to the folder, not in it: the folder is the user's model or code, exactly as registered.
    const marker = `${dir}.complete.json`;
    try {
      return (JSON.parse(await readFile(marker, 'utf8')) as { path: string }).path;
    } catch {
      // not cached yet
    }
    const what = `${kind === 'models' ? 'Model' : 'Code'} '${id}'`;
    const resolved = await validateInputUri(uri, 'UriFolder', this.deps, kind === 'models' ? 'modelUri' : 'codeUri');
    if (resolved.location.kind === 'https') throw fatal(new ApiError(400, 'InvalidAsset', `${what} must be in blob storage, not at ${uri}.`));
    const container = await containerFor(resolved.location, this.deps, resolved.store ? { store: resolved.store } : {});
    const path = resolved.location.path.replace(/\/+$/, '');
    const temp = `${dir}.tmp-${randomBytes(4).toString('hex')}`;
    await rm(temp, { recursive: true, force: true });
    let total = 0;
    let count = 0;
    let single: string | undefined;
    try {
      // A bare file (e.g. model.onnx) or every blob under the folder, names kept relative.
      const file = container.getBlobClient(path);
      const blobs: { name: string; size: number }[] = [];
      if (path && (await file.exists())) {
        const props = await file.getProperties();
        blobs.push({ name: path, size: props.contentLength ?? 0 });
        single = posix.basename(path);
      } else {
        for await (const blob of container.listBlobsFlat({ prefix: path ? `${path}/` : '' })) {
          blobs.push({ name: blob.name, size: blob.properties.contentLength ?? 0 });
        }
      }
      if (blobs.length === 0) throw fatal(new ApiError(400, 'AssetNotFound', `${what} has no files at ${uri}.`));
      for (const blob of blobs) {
        total += blob.size;
        if (total > this.maxBytes) throw fatal(new ApiError(400, 'AssetTooLarge', `${what} is larger than ${this.maxBytes} bytes.`));
        const relativeName = single ?? blob.name.slice(path ? path.length + 1 : 0);
        const target = localPathFor(relativeName, temp);
        await mkdir(dirname(target), { recursive: true });
        await container.getBlobClient(blob.name).downloadToFile(target);
        count++;
      }
      await mkdir(dirname(dir), { recursive: true });
      await rm(dir, { recursive: true, force: true });
      await rename(temp, dir);
    } catch (err) {
      await rm(temp, { recursive: true, force: true });
      throw err;
    }
    const local = single ? join(dir, single) : dir;
    await writeFile(marker, JSON.stringify({ path: local, files: count, bytes: total }));
    return local;
  }
}
