import { z } from 'zod';
import { ApiError, notFound } from '../http/apiError';
import { envelope, type ResourceEnvelope, type SystemData } from '../http/envelope';
import type { Caller } from '../auth/caller';
import { azureBlobServiceProblem, BLOB_HOST, sameService } from '../locations/uri';
import { checkName, datastoreNameSchema, keyOf } from './names';
import { systemDataOf, type RegistryStore, type StoredRecord } from './store';
import { looseEnum, parseOrThrow, stringMap, validationError } from './validation';

export const WORKSPACE_DATASTORE = 'workspaceblobstore';
const PARTITION = 'datastores';
const TYPE = 'Microsoft.MachineLearningServices/workspaces/datastores';

/**
 * An explicit blob service URL. Its form is checked here; where it may point (an Azure blob
 * endpoint, or the app's own storage such as the local emulator) is checked by `put`, which
 * knows the app's own account (serviceUriProblem).
 */
const isLoopback = (host: string) => host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
const serviceUriSchema = z
  .string()
  .refine(
    (v) => azureBlobServiceProblem(v) === undefined || (URL.canParse(v) && isLoopback(new URL(v).hostname)),
    'must be an Azure Storage blob endpoint, https://<account>.blob.core.windows.net (or a sovereign cloud\'s), or locally the storage emulator',
  );

export const datastorePropertiesSchema = z.strictObject({
  datastoreType: z.literal('AzureBlob', { error: 'must be "AzureBlob" (only blob datastores are supported)' }),
  accountName: z.string().regex(/^[a-z0-9]{3,24}$/, 'must be a storage account name: 3-24 lower-case letters and digits'),
  containerName: z
    .string()
    .regex(/^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, 'must be a container name: 3-63 lower-case letters, digits and single hyphens'),
  endpoint: z
    .string()
    .regex(/^[a-z0-9]+(?:[.-][a-z0-9]+)+$/i, 'must be a storage endpoint suffix such as "core.windows.net"')
    .default('core.windows.net'),
  protocol: looseEnum(['https']).default('https'),
  serviceUri: serviceUriSchema.optional(),
  credentials: z
    .strictObject({
      credentialsType: z.literal('None', {
        error: 'must be "None": datastores are read with the service\'s own identity (no keys or SAS tokens)',
      }),
    })
    .default({ credentialsType: 'None' }),
  description: z.string().optional(),
  tags: stringMap.optional(),
  properties: stringMap.optional(),
});

export const datastoreBodySchema = z.strictObject({ properties: datastorePropertiesSchema });

export type DatastoreProperties = z.output<typeof datastorePropertiesSchema>;

/** Where the built-in `workspaceblobstore` points: the app's own storage account. */
export interface WorkspaceBlob {
  accountName: string;
  /** Blob service URL, e.g. `https://acct.blob.core.windows.net` or Azurite's `http://127.0.0.1:10000/devstoreaccount1`. */
  serviceUri: string;
  containerName: string;
  /**
   * Other built-in datastores on the same account (the blob-drop inbox and outbox): listed,
   * readable and writable like workspaceblobstore, never replaced or deleted.
   */
  others?: { name: string; containerName: string; description: string }[];
}

/** A datastore as other code uses it: where its container is. */
export interface Datastore {
  name: string;
  properties: DatastoreProperties;
  /** The blob service URL to use: `serviceUri` if set, else `<protocol>://<account>.blob.<endpoint>`. */
  blobServiceUri: string;
  containerName: string;
  /** True for `workspaceblobstore`: reach it with the app's own storage clients (connection string locally). */
  isWorkspaceStore: boolean;
  systemData: SystemData;
}

/** The datastore resource's properties in responses (Azure ML adds `isDefault`). */
export type DatastoreView = DatastoreProperties & { isDefault: boolean };

const BUILT_IN_SYSTEM_DATA: SystemData = {
  createdBy: 'system',
  createdAt: new Date(0).toISOString(),
  lastModifiedAt: new Date(0).toISOString(),
};

/** Blob datastores: user-registered ones in the table, plus the built-in workspaceblobstore. */
export class Datastores {
  constructor(
    private readonly store: RegistryStore,
    private readonly workspace: WorkspaceBlob,
  ) {}

  /** workspaceblobstore first, then the other built-ins. */
  private builtIns(): Datastore[] {
    const { others = [] } = this.workspace;
    return [this.builtIn(), ...others.map((o) => this.builtIn(o))];
  }

  private builtIn(
    which: { name: string; containerName: string; description: string } = {
      name: WORKSPACE_DATASTORE,
      containerName: this.workspace.containerName,
      description: "Built in: the service's own storage account.",
    },
  ): Datastore {
    const { accountName, serviceUri } = this.workspace;
    const { containerName, description, name } = which;
    const host = URL.canParse(serviceUri) ? new URL(serviceUri).hostname : '';
    const suffix = /\.blob\.(.+)$/.exec(host)?.[1] ?? 'core.windows.net';
    const properties: DatastoreProperties = {
      datastoreType: 'AzureBlob',
      accountName,
      containerName,
      endpoint: suffix,
      protocol: 'https',
      serviceUri,
      credentials: { credentialsType: 'None' },
      description,
    };
    return {
      name,
      properties,
      blobServiceUri: serviceUri,
      containerName,
      isWorkspaceStore: true,
      systemData: BUILT_IN_SYSTEM_DATA,
    };
  }

  private fromRecord(r: StoredRecord<DatastoreProperties>): Datastore {
    const p = r.doc.properties;
    const blobServiceUri = p.serviceUri ?? `${p.protocol}://${p.accountName}.blob.${p.endpoint}`;
    return {
      name: r.name,
      properties: p,
      blobServiceUri,
      containerName: p.containerName,
      isWorkspaceStore: false,
      systemData: systemDataOf(r),
    };
  }

  /** The datastore, or undefined. Names are case-insensitive. */
  async tryGet(name: string): Promise<Datastore | undefined> {
    const builtIn = this.builtIns().find((b) => keyOf(b.name) === keyOf(name));
    if (builtIn) return builtIn;
    const r = await this.store.get<DatastoreProperties>(PARTITION, keyOf(name));
    return r && this.fromRecord(r);
  }

  /** The datastore, or 404 NotFound. */
  async get(name: string): Promise<Datastore> {
    const ds = await this.tryGet(name);
    if (!ds) throw notFound(`Datastore '${name}'`, 'name');
    return ds;
  }

  /** All datastores, workspaceblobstore first, then by name. */
  async list(): Promise<Datastore[]> {
    const rows = await this.store.list<DatastoreProperties>(PARTITION);
    const own = rows.map((r) => this.fromRecord(r)).sort((a, b) => a.name.localeCompare(b.name));
    return [...this.builtIns(), ...own];
  }

  /** Creates or replaces a datastore from a request body. */
  async put(name: string, body: unknown, caller: Caller): Promise<{ datastore: Datastore; created: boolean }> {
    checkName(datastoreNameSchema, name, 'datastore name');
    this.refuseBuiltIn(name, 'replaced');
    const { properties } = parseOrThrow(datastoreBodySchema, body);
    this.checkWhere(properties);
    const { record, created } = await this.store.put(PARTITION, keyOf(name), name, { properties }, caller);
    return { datastore: this.fromRecord(record), created };
  }

  /** Deletes a datastore; false when it did not exist. Assets that point into it are not checked (as in Azure ML). */
  async delete(name: string): Promise<boolean> {
    this.refuseBuiltIn(name, 'deleted');
    return this.store.delete(PARTITION, keyOf(name));
  }

  /**
   * The app sends its identity's token to a datastore's blob service, so it must be an Azure
   * Storage blob endpoint of a known cloud, or the app's own blob service (locally: the
   * configured emulator). Anything else (metadata endpoints, private addresses, other hosts) is
   * refused here, and again when a location is reached (lib/locations/datastores.ts).
   */
  private checkWhere(p: DatastoreProperties): void {
    if (p.serviceUri !== undefined) {
      if (sameService(p.serviceUri, this.workspace.serviceUri)) return;
      const problem = azureBlobServiceProblem(p.serviceUri);
      if (problem) {
        throw validationError([
          {
            code: 'Invalid',
            target: 'properties.serviceUri',
            message: `properties.serviceUri '${p.serviceUri}' is not an Azure Storage blob endpoint (${problem}); use https://<account>.blob.core.windows.net or leave it out`,
          },
        ]);
      }
      return;
    }
    if (!BLOB_HOST.test(`${p.accountName}.blob.${p.endpoint.toLowerCase()}`)) {
      throw validationError([
        {
          code: 'Invalid',
          target: 'properties.endpoint',
          message: `properties.endpoint '${p.endpoint}' is not the storage suffix of a known Azure cloud (core.windows.net, core.chinacloudapi.cn, core.usgovcloudapi.net)`,
        },
      ]);
    }
  }

  private refuseBuiltIn(name: string, action: string): void {
    const builtIn = this.builtIns().find((b) => keyOf(b.name) === keyOf(name));
    if (builtIn) {
      throw new ApiError(
        409,
        'BuiltInDatastore',
        `'${builtIn.name}' is built in (the service's own storage account) and cannot be ${action}.`,
        'name',
      );
    }
  }

  envelope(ds: Datastore): ResourceEnvelope<DatastoreView> {
    return envelope({
      id: `/api/datastores/${ds.name}`,
      name: ds.name,
      type: TYPE,
      properties: { ...ds.properties, isDefault: ds.name === WORKSPACE_DATASTORE },
      systemData: ds.systemData,
    });
  }
}
