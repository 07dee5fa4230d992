import type { TableClient } from '@azure/data-tables';
import type { Logger } from '../log';

/** FNV-1a over the id's UTF-8 bytes, as the Azure Storage provider picks an instance's control queue. */
export function partitionOf(instanceId: string, partitionCount: number): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(instanceId, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitionCount;
}

export interface PartitionEvents {
  acquired(partition: number): Promise<void>;
  /** Called before the lease is given up (or after it was found lost): drop the partition's work. */
  released(partition: number): void;
}

interface LeaseRow {
  partitionKey: string;
  rowKey: string;
  Owner?: string;
  Expires?: number;
  etag?: string;
}

const statusOf = (err: unknown): number | undefined => (err as { statusCode?: number })?.statusCode;

/**
 * Partition leases in a table, as the Azure Storage provider keeps them in blobs: every
 * `leaseMs / 3` a host renews its leases (conditional on the row's ETag), announces itself, and
 * takes free or expired partitions up to its fair share (partitions / live hosts), releasing any
 * above it. A host that stops renewing loses its partitions to the others after `leaseMs`.
 */
export class PartitionLeases {
  private readonly owned = new Map<number, { etag: string; expires: number }>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly table: TableClient,
    private readonly hostId: string,
    private readonly partitionCount: number,
    private readonly leaseMs: number,
    private readonly events: PartitionEvents,
    private readonly log: Logger,
  ) {}

  /** True while this host holds the partition's lease with a safety margin left. */
  owns(partition: number): boolean {
    const lease = this.owned.get(partition);
    return !!lease && lease.expires - this.leaseMs / 6 > Date.now();
  }

  ownedPartitions(): number[] {
    return [...this.owned.keys()].filter((p) => this.owns(p));
  }

  async start(): Promise<void> {
    await this.table.createTable();
    await this.tick();
    const loop = () => {
      this.timer = setTimeout(() => {
        this.ticking = this.tick()
          .catch((err: Error) => this.log.warn(`Partition leases: ${err.message}`))
          .finally(() => {
            if (!this.stopped) loop();
          });
      }, this.leaseMs / 3);
      this.timer.unref();
    };
    loop();
  }

  private async tick(): Promise<void> {
    const now = Date.now();
    await this.table.upsertEntity({ partitionKey: 'host', rowKey: this.hostId, Expires: now + this.leaseMs }, 'Replace');
    const rows: LeaseRow[] = [];
    for await (const row of this.table.listEntities<LeaseRow>()) rows.push(row as LeaseRow);
    const live = new Set(rows.filter((r) => r.partitionKey === 'host' && (r.Expires ?? 0) > now).map((r) => r.rowKey));
    live.add(this.hostId);
    const leases = new Map(rows.filter((r) => r.partitionKey === 'partition').map((r) => [Number(r.rowKey), r]));
    // Fair share: floor..ceil of partitions per live host; nobody takes above floor while a host starves.
    const floor = Math.floor(this.partitionCount / live.size);
    const ceil = Math.ceil(this.partitionCount / live.size);
    const counts = new Map([...live].map((h) => [h, 0]));
    for (const row of leases.values()) {
      if (row.Owner && (row.Expires ?? 0) > now && counts.has(row.Owner)) counts.set(row.Owner, counts.get(row.Owner)! + 1);
    }
    const othersStarve = [...counts].some(([h, n]) => h !== this.hostId && n < floor);
    const share = othersStarve ? floor : ceil;

    // Renew what is ours; notice what was taken from us.
    for (const partition of [...this.owned.keys()]) {
      const row = leases.get(partition);
      if (!row || row.Owner !== this.hostId || row.etag !== this.owned.get(partition)!.etag) {
        this.lose(partition, 'taken over by another host');
        continue;
      }
      if (!(await this.write(partition, row, this.hostId, now))) this.lose(partition, 'renewal refused');
    }
    // Give back what is above our share, so newly started hosts get work.
    for (const partition of [...this.owned.keys()].slice(share)) {
      this.lose(partition, 'rebalanced');
      const lease = leases.get(partition);
      if (lease) await this.write(partition, { ...lease, etag: this.lastEtag.get(partition) }, '', now, 0).catch(() => false);
    }
    // Take free and expired partitions up to our share.
    for (let partition = 0; partition < this.partitionCount && this.owned.size < share; partition++) {
      if (this.owned.has(partition)) continue;
      const row = leases.get(partition);
      const free = !row || !row.Owner || (row.Expires ?? 0) <= now;
      if (!free) continue;
      if (await this.write(partition, row, this.hostId, now)) {
        this.log.info(`Partition ${partition} acquired${row?.Owner ? ` (from ${row.Owner}, whose lease expired)` : ''}.`);
        // Loaded in the background: renewals must not wait for a big partition to load.
        this.events.acquired(partition).catch((err: Error) => {
          this.log.warn(`Loading partition ${partition} failed (${err.message}): giving it back.`);
          this.lose(partition, 'load failed');
          void this.write(partition, { partitionKey: 'partition', rowKey: String(partition), etag: this.lastEtag.get(partition) }, '', Date.now(), 0).catch(() => false);
        });
      }
    }
  }

  private readonly lastEtag = new Map<number, string>();

  /** Conditional write of one lease row (create when missing); false when someone else wrote first. */
  private async write(partition: number, row: LeaseRow | undefined, owner: string, now: number, ttl = this.leaseMs): Promise<boolean> {
    const entity = { partitionKey: 'partition', rowKey: String(partition), Owner: owner, Expires: now + ttl };
    try {
      const response = row?.etag
        ? await this.table.updateEntity(entity, 'Replace', { etag: row.etag })
        : await this.table.createEntity(entity);
      const etag = response.etag!;
      this.lastEtag.set(partition, etag);
      if (owner === this.hostId) this.owned.set(partition, { etag, expires: now + ttl });
      return true;
    } catch (err) {
      if (statusOf(err) === 412 || statusOf(err) === 409 || statusOf(err) === 404) return false;
      throw err;
    }
  }

  private lose(partition: number, why: string): void {
    if (!this.owned.delete(partition)) return;
    this.log.info(`Partition ${partition} released (${why}).`);
    this.events.released(partition);
  }

  /** Gives every lease back at once so other hosts take over without waiting for expiry. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    const now = Date.now();
    for (const partition of [...this.owned.keys()]) {
      const etag = this.lastEtag.get(partition);
      this.lose(partition, 'host stopping');
      await this.write(partition, { partitionKey: 'partition', rowKey: String(partition), etag }, '', now, 0).catch(() => false);
    }
    await this.table.deleteEntity('host', this.hostId).catch(() => undefined);
  }
}
