import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { enc, MANAGE, READ } from './client';
import type { Context } from './context';
import { CliError, usageError } from './errors';
import { isRemote } from './specs/assets';
import { contentHash, filesOf, uploadLocal, type UploadKind } from './upload';

/** A `path:` of a YAML file: relative to the file, as az ml reads it. */
export function localPathOf(path: string, baseDir: string): string {
  return resolve(baseDir, path);
}

/** The next free numeric version of an asset (az ml's auto-increment when no version is given). */
async function nextVersion(ctx: Context, kind: UploadKind, name: string): Promise<string> {
  const res = await ctx.client.request('GET', `${kind}/${enc(name)}/versions`, { roles: READ, accept: [404] });
  const versions: string[] = res.status === 404 ? [] : (res.body?.value ?? []).map((v: any) => String(v.name));
  const numbers = versions.map(Number).filter((n) => Number.isInteger(n));
  return String((numbers.length ? Math.max(...numbers) : 0) + 1);
}

const uriKey: Record<UploadKind, string> = { models: 'modelUri', codes: 'codeUri', data: 'dataUri' };

export interface AssetVersionSpec {
  kind: UploadKind;
  name: string;
  /** Absent: the next numeric version; 'hash': the first 12 characters of the content hash. */
  version?: string | 'hash';
  /** A local file or folder (uploaded first) or a URI. */
  path: string;
  baseDir: string;
  properties: Record<string, unknown>;
}

/**
 * Registers an asset version (`PUT /api/{kind}/{name}/versions/{version}`), uploading a local
 * path first. Returns the resource and its `azureml:<name>:<version>` id.
 */
export async function registerAsset(ctx: Context, spec: AssetVersionSpec): Promise<{ id: string; resource: any }> {
  let uri = spec.path;
  let version = spec.version;
  if (!isRemote(spec.path)) {
    const local = localPathOf(spec.path, spec.baseDir);
    if (!existsSync(local)) throw usageError(`path '${spec.path}' is neither a URI (azureml://, https://) nor an existing file or folder (looked at ${local}).`);
    const hash = await contentHash(filesOf(local).files);
    if (version === 'hash') version = hash.slice(0, 12);
    version ??= await nextVersion(ctx, spec.kind, spec.name);
    uri = (await uploadLocal(ctx.client, spec.kind, { name: spec.name, version }, local, ctx.note, { hash })).uri;
  } else if (version === 'hash') {
    version = createHash('sha256').update(spec.path).digest('hex').slice(0, 12);
  }
  version ??= await nextVersion(ctx, spec.kind, spec.name);
  const res = await ctx.client.request('PUT', `${spec.kind}/${enc(spec.name)}/versions/${enc(version)}`, {
    roles: MANAGE,
    body: { properties: { ...spec.properties, [uriKey[spec.kind]]: uri } },
  });
  return { id: `azureml:${spec.name}:${version}`, resource: res.body };
}

/** `azureml:<name>:<version>` or `azureml:<name>@latest` split, or undefined. */
export function parseAssetRef(ref: string): { name: string; version: string } | undefined {
  const m = /^azureml:([A-Za-z0-9][A-Za-z0-9_.-]*)(?::([A-Za-z0-9][A-Za-z0-9_.-]*)|@latest)$/.exec(ref);
  return m ? { name: m[1]!, version: m[2] ?? 'latest' } : undefined;
}

export const notFoundAsset = (what: string) => new CliError(`${what} was not found.`, 3, 'NotFound');
