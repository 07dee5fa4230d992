import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { ApiError, conflict, notFound } from '../http/apiError';
import { envelope, type ResourceEnvelope, type SystemData } from '../http/envelope';
import type { Caller } from '../auth/caller';
import { assetNameSchema, checkName, keyOf, versionSchema } from './names';
import type { AssetCollection } from '../locations/references';
import { systemDataOf, type RegistryStore, type StoredRecord } from './store';
import { parseOrThrow, stringMap } from './validation';

/** The optional fields every asset version has besides its own (Azure ML's asset metadata). */
export const assetMetadataShape = {
  description: z.string().optional(),
  tags: stringMap.optional(),
  properties: stringMap.optional(),
};

/** One registered asset version (model, code or data). */
export interface AssetVersion<P> {
  name: string;
  version: string;
  properties: P;
  systemData: SystemData;
  createdBy: Caller;
}

/** What distinguishes models, codes and data assets. */
export interface AssetKind<P> {
  /** Route segment and ARM type segment: 'models', 'codes', 'data'. */
  collection: AssetCollection;
  /** Singular noun for messages: 'Model', 'Code', 'Data asset'. */
  label: string;
  /** Body schema: `{ properties: {...} }`. */
  bodySchema: z.ZodType<{ properties: P }>;
  /** Checks what the properties point at (e.g. the datastore exists); throws a 400. */
  checkReferences?: (properties: P) => Promise<void>;
}

const LATEST = 'latest';
const byNewest = new Intl.Collator('en', { numeric: true });

/**
 * Versioned, immutable assets. A version is created once (a conditional insert, so concurrent
 * PUTs cannot both create it); PUT again with the same body is an idempotent 200, with a
 * different body a 409. `latest` names the most recently created version, as in Azure ML.
 */
export class AssetVersions<P> {
  constructor(
    private readonly store: RegistryStore,
    private readonly kind: AssetKind<P>,
  ) {}

  private partition(name: string): string {
    return `${this.kind.collection}:${keyOf(name)}`;
  }

  private versionOf(r: StoredRecord<P>): AssetVersion<P> {
    // Name holds "<name>/<version>" as first given, so both keep their casing.
    const [name = '', version = ''] = r.name.split('/');
    return { name, version, properties: r.doc.properties, systemData: systemDataOf(r), createdBy: r.createdBy };
  }

  /** Registers a version from a request body: 201 created, 200 identical, 409 different. */
  async put(name: string, version: string, body: unknown, caller: Caller): Promise<{ asset: AssetVersion<P>; created: boolean }> {
    checkName(assetNameSchema, name, 'name');
    checkName(versionSchema, version, 'version');
    // A JSON round trip drops undefined members so the stored and compared shapes are the same.
    const properties = JSON.parse(JSON.stringify(parseOrThrow(this.kind.bodySchema, body).properties)) as P;
    await this.kind.checkReferences?.(properties);
    const created = await this.store.create(this.partition(name), keyOf(version), `${name}/${version}`, { properties }, caller);
    if (created) return { asset: this.versionOf(created), created: true };
    const existing = await this.store.get<P>(this.partition(name), keyOf(version));
    if (existing && isDeepStrictEqual(existing.doc.properties, properties)) return { asset: this.versionOf(existing), created: false };
    throw conflict(
      `${this.kind.label} '${name}' version '${version}' already exists with different properties; ` +
        'versions are immutable: register a new version.',
      'version',
    );
  }

  /** All versions of an asset, newest first (empty when none). */
  async list(name: string): Promise<AssetVersion<P>[]> {
    const rows = await this.store.list<P>(this.partition(name));
    return rows
      .map((r) => this.versionOf(r))
      .sort((a, b) => b.systemData.createdAt.localeCompare(a.systemData.createdAt) || byNewest.compare(b.version, a.version));
  }

  /** The newest version of every asset of this kind, by name (Azure ML's list of model or data containers). */
  async listLatest(): Promise<AssetVersion<P>[]> {
    const rows = await this.store.listByPartitionPrefix<P>(`${this.kind.collection}:`);
    const newest = new Map<string, AssetVersion<P>>();
    for (const version of rows.map((r) => this.versionOf(r))) {
      const key = keyOf(version.name);
      const seen = newest.get(key);
      const newer = !seen || version.systemData.createdAt.localeCompare(seen.systemData.createdAt) > 0 ||
        (version.systemData.createdAt === seen.systemData.createdAt && byNewest.compare(version.version, seen.version) > 0);
      if (newer) newest.set(key, version);
    }
    return [...newest.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** A container resource: the asset's name and its latest version (Azure ML's `.../models/{name}`). */
  containerEnvelope(a: AssetVersion<P>): ResourceEnvelope<{ latestVersion: string; description?: string }> {
    const description = (a.properties as { description?: string }).description;
    return envelope({
      id: `/api/${this.kind.collection}/${a.name}`,
      name: a.name,
      type: `Microsoft.MachineLearningServices/workspaces/${this.kind.collection}`,
      properties: { latestVersion: a.version, ...(description ? { description } : {}) },
      systemData: a.systemData,
    });
  }

  /** A version ('latest' = the newest), or undefined. */
  async tryGet(name: string, version: string): Promise<AssetVersion<P> | undefined> {
    if (keyOf(version) === LATEST) return (await this.list(name))[0];
    const r = await this.store.get<P>(this.partition(name), keyOf(version));
    return r && this.versionOf(r);
  }

  /** A version ('latest' = the newest), or 404 NotFound naming it. */
  async get(name: string, version: string): Promise<AssetVersion<P>> {
    const found = await this.tryGet(name, version);
    if (found) return found;
    const which = keyOf(version) === LATEST ? '(any version)' : `version '${version}'`;
    throw notFound(`${this.kind.label} '${name}' ${which}`, 'name');
  }

  /** Like get, but a missing asset is a 400 naming the field that referenced it. */
  async resolve(name: string, version: string, field: string): Promise<AssetVersion<P>> {
    const found = await this.tryGet(name, version);
    if (found) return found;
    const which = keyOf(version) === LATEST ? `has no versions` : `version '${version}' does not exist`;
    throw new ApiError(400, 'InvalidReference', `${field}: ${this.kind.label.toLowerCase()} '${name}' ${which}.`, field);
  }

  envelope(a: AssetVersion<P>): ResourceEnvelope<P> {
    return envelope({
      id: `/api/${this.kind.collection}/${a.name}/versions/${a.version}`,
      name: a.version,
      type: `Microsoft.MachineLearningServices/workspaces/${this.kind.collection}/versions`,
      properties: a.properties,
      systemData: a.systemData,
    });
  }
}
