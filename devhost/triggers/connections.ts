import { hostStorage, type HostStorage } from '../storage';

/**
 * Storage clients per binding `connection`, resolved like the real host: the setting itself, then
 * `AzureWebJobs<name>`; empty means `AzureWebJobsStorage`. One set of clients per connection string.
 */
export class Connections {
  private readonly byValue = new Map<string, HostStorage>();

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    hostStorageClients: HostStorage,
  ) {
    const own = env.AzureWebJobsStorage;
    if (own) this.byValue.set(own, hostStorageClients);
  }

  get(connection: unknown): HostStorage {
    const setting = typeof connection === 'string' && connection.trim() ? connection.trim() : 'AzureWebJobsStorage';
    const value = this.env[setting] ?? this.env[`AzureWebJobs${setting}`];
    if (!value) {
      const identity = Object.keys(this.env).some((k) => k.toLowerCase().startsWith(`${setting.toLowerCase()}__`));
      throw new Error(
        identity
          ? `Connection '${setting}' is identity-based (${setting}__...); devhost only supports connection strings.`
          : `Storage connection setting '${setting}' is not set (local.settings.json Values, or the environment).`,
      );
    }
    let clients = this.byValue.get(value);
    if (!clients) {
      clients = hostStorage(value);
      this.byValue.set(value, clients);
    }
    return clients;
  }
}
