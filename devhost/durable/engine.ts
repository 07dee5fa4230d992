import { randomUUID } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import type { Registration } from '../functionsCore';
import type { Invoker } from '../invoker';
import type { Logger } from '../log';
import { actionInputValue, runEpisode } from './episode';
import { activityFailure, missingActivity, subOrchestrationFailure } from './failures';
import { NO_FAULTS, shuffle, type FaultSettings } from './faults';
import { PartitionLeases, partitionOf } from './partitions';
import type { SharedQueues, WorkItem } from './sharedQueues';
import { completedTaskId, event, EventType, isSchedulingEvent, type HistoryEvent } from './history';
import { ACTIVE_STATUSES, DurableStore, isActive, type HistoryCursor, type InstanceRecord, type RuntimeStatus } from './store';

export class DurableError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface EngineOptions {
  store: DurableStore;
  invoker: Invoker;
  log: Logger;
  registrations: Registration[];
  maxConcurrentActivities: number;
  maxConcurrentOrchestrations: number;
  /** Extra inputs (durable client) for activities and orchestrators that declare them. */
  extraInputsFor: (reg: Registration) => Record<string, unknown>;
  faults?: FaultSettings;
  /** Several hosts on one hub: partitions leased in storage, activities through a shared queue. */
  scaleOut?: ScaleOutOptions;
}

export interface ScaleOutOptions {
  hostId: string;
  queues: SharedQueues;
  leases: TableClient;
  leaseMs: number;
  /** How long a taken work item stays invisible to other hosts; renewed while it runs. */
  workItemVisibilityMs: number;
}

/** An instance loaded in memory: its committed history plus what waits for its next episode. */
interface Runtime {
  record: InstanceRecord;
  history: HistoryEvent[];
  cursor: HistoryCursor;
  scheduled: Set<number>;
  completed: Set<number>;
  messageIds: Set<string>;
  pending: HistoryEvent[];
  /** The running episode's events: not in history yet, no longer pending, still no duplicates. */
  processing: HistoryEvent[];
  timers: Map<number, NodeJS.Timeout>;
  queued: boolean;
  running: boolean;
  /** A failed episode left memory and storage possibly apart: reloading from storage, no episode runs. */
  reloading: boolean;
  /** Episodes failed in a row (storage errors), for the retry backoff. */
  failures: number;
  /** Status and custom status last written to the row, to skip writes that change nothing. */
  rowSignature: string;
}

type ActivityWork = WorkItem;

const INVALID_ID = /[\/\\#?\u0000-\u001f\u007f-\u009f]/;
const MAX_TIMEOUT = 2 ** 31 - 1;

/**
 * A Durable Task runtime for one task hub: runs orchestrator episodes and activities in this
 * process, with everything needed to resume after a crash kept in Azure Storage.
 * Activities are at-least-once: a result not yet committed to history is simply run again.
 */
export class DurableEngine {
  private readonly runtimes = new Map<string, Runtime>();
  private readonly orchestrators = new Map<string, Registration>();
  private readonly activities = new Map<string, Registration>();
  private readonly episodeQueue: Runtime[] = [];
  private readonly activityQueue: ActivityWork[] = [];
  /** Activities queued or running (`executionId:taskId`), so a reload does not start them twice. */
  private readonly inflight = new Set<string>();
  private runningEpisodes = 0;
  private runningActivities = 0;
  private stopping = false;
  private pumpScheduled = false;
  private readonly faults: FaultSettings;
  private readonly leases: PartitionLeases | undefined;

  constructor(private readonly options: EngineOptions) {
    this.faults = options.faults ?? NO_FAULTS;
    const scale = options.scaleOut;
    if (scale) {
      this.leases = new PartitionLeases(scale.leases, scale.hostId, scale.queues.partitionCount, scale.leaseMs, {
        acquired: (partition) => this.loadPartition(partition),
        released: (partition) => this.dropPartition(partition),
      }, options.log);
    }
    for (const reg of options.registrations) {
      const type = reg.trigger.type.toLowerCase();
      if (type === 'orchestrationtrigger') this.orchestrators.set(reg.name.toLowerCase(), reg);
      if (type === 'activitytrigger') this.activities.set(reg.name.toLowerCase(), reg);
    }
  }

  get store(): DurableStore {
    return this.options.store;
  }

  /** Faults this host injected so far (chaos runs report them). */
  readonly faultsInjected = { duplicateActivities: 0, failedEpisodes: 0 };

  /** The partitions of a shared task hub this host owns now; undefined when it runs the whole hub alone. */
  ownedPartitions(): number[] | undefined {
    return this.leases?.ownedPartitions();
  }

  // ---------- client operations ----------

  async startNew(name: string, instanceId: string | undefined, input: string | null): Promise<string> {
    const reg = this.orchestrators.get(name.toLowerCase());
    if (!reg) throw new DurableError(400, `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`);
    const id = instanceId ?? randomUUID().replace(/-/g, '');
    if (!id || id.length > 256 || INVALID_ID.test(id)) {
      throw new DurableError(400, `Instance ID '${id}' is invalid: it must be 1-256 characters without '/', '\\', '#', '?' or control characters.`);
    }
    await this.createInstance(reg.name, id, input, undefined);
    return id;
  }

  private async createInstance(
    name: string,
    instanceId: string,
    input: string | null,
    parent: { instanceId: string; executionId: string; taskId: number } | undefined,
  ): Promise<void> {
    const { store } = this.options;
    const now = new Date().toISOString();
    const record: InstanceRecord = {
      instanceId,
      name,
      executionId: randomUUID().replace(/-/g, ''),
      status: 'Pending',
      input,
      output: null,
      customStatus: null,
      createdTime: now,
      lastUpdatedTime: now,
      parentInstanceId: parent?.instanceId,
      parentExecutionId: parent?.executionId,
      parentTaskId: parent?.taskId,
    };
    const existing = await store.getInstance(instanceId);
    if (existing) {
      if (isActive(existing.status)) {
        throw new DurableError(500, `An Orchestration instance with the status ${existing.status} already exists.`);
      }
      // A finished instance id may be reused: its old history goes away with it.
      this.runtimes.delete(instanceId);
      await store.deleteHistory(instanceId);
      await store.clearInbox(instanceId);
      if (!(await store.replaceInstance(record, existing.etag!))) {
        throw new DurableError(500, `Instance '${instanceId}' changed while it was being started again.`);
      }
    } else if (!(await store.createInstance(record))) {
      // Another start of this id won the race between our check and our write. In Azure both
      // calls succeed (the second ExecutionStarted is dropped as a duplicate): answer the same.
      const winner = await store.getInstance(instanceId);
      if (winner && winner.name === name && winner.status === 'Pending' && winner.input === input && !parent) return;
      throw new DurableError(500, `An Orchestration instance with the status ${winner?.status ?? 'Pending'} already exists.`);
    }
    if (!this.ownsInstance(instanceId)) {
      await this.options.scaleOut!.queues.wake(instanceId); // its partition's owner starts it
      return;
    }
    const rt = this.newRuntime(record);
    rt.pending.push(this.executionStarted(record));
    this.runtimes.set(instanceId, rt);
    this.wake(rt);
  }

  /** Whether this host runs the instance's episodes: always alone, by partition lease when shared. */
  private ownsInstance(instanceId: string): boolean {
    return !this.leases || this.leases.owns(partitionOf(instanceId, this.options.scaleOut!.queues.partitionCount));
  }

  private executionStarted(record: InstanceRecord): HistoryEvent {
    return event(EventType.ExecutionStarted, {
      Name: record.name,
      Input: record.input,
      Version: '',
      OrchestrationInstance: { InstanceId: record.instanceId, ExecutionId: record.executionId },
      ParentInstance: record.parentInstanceId
        ? { OrchestrationInstance: { InstanceId: record.parentInstanceId, ExecutionId: record.parentExecutionId }, TaskScheduleId: record.parentTaskId }
        : null,
    });
  }

  /** Sends a message (event, terminate, suspend, resume) durably, then wakes the instance. */
  async send(instanceId: string, message: HistoryEvent): Promise<void> {
    const record = await this.options.store.getInstance(instanceId);
    if (!record) throw new DurableError(404, `No instance with ID '${instanceId}' found.`);
    if (!isActive(record.status)) throw new DurableError(410, `Instance '${instanceId}' is ${record.status}.`);
    const messageId = await this.options.store.addInbox(instanceId, message);
    const rt = this.runtimes.get(instanceId);
    if (rt) {
      rt.pending.push({ ...message, MessageId: messageId });
      this.wake(rt);
    } else if (this.options.scaleOut) {
      await this.options.scaleOut.queues.wake(instanceId);
    }
  }

  async getInstance(instanceId: string): Promise<InstanceRecord | undefined> {
    return this.options.store.getInstance(instanceId);
  }

  async getHistory(record: InstanceRecord): Promise<HistoryEvent[]> {
    return (await this.options.store.readHistory(record.instanceId, record.executionId)).events;
  }

  async purge(instanceId: string): Promise<boolean> {
    const record = await this.options.store.getInstance(instanceId);
    if (!record) return false;
    if (isActive(record.status)) {
      throw new DurableError(400, `Instance '${instanceId}' is ${record.status}: only finished instances can be purged.`);
    }
    this.runtimes.delete(instanceId);
    await this.options.store.deleteHistory(instanceId);
    await this.options.store.clearInbox(instanceId);
    await this.options.store.deleteInstance(instanceId);
    return true;
  }

  // ---------- recovery ----------

  /** Loads every unfinished instance from storage and resumes its pending work. */
  async recover(): Promise<number> {
    const { store } = this.options;
    let continuation: string | undefined;
    const loaded: Runtime[] = [];
    do {
      const page = await store.queryInstances({ statuses: ACTIVE_STATUSES, continuation });
      continuation = page.continuation;
      for (const record of page.items) {
        const rt = await this.load(record);
        if (rt) loaded.push(rt);
      }
    } while (continuation);
    for (const rt of loaded) await this.resumeWork(rt);
    return loaded.length;
  }

  private newRuntime(record: InstanceRecord): Runtime {
    return {
      record,
      history: [],
      cursor: { blocks: [] },
      scheduled: new Set(),
      completed: new Set(),
      messageIds: new Set(),
      pending: [],
      processing: [],
      timers: new Map(),
      queued: false,
      running: false,
      reloading: false,
      failures: 0,
      rowSignature: `${record.status}|${record.customStatus}`,
    };
  }

  private absorb(rt: Runtime, events: HistoryEvent[]): void {
    for (const e of events) {
      rt.history.push(e);
      if (isSchedulingEvent(e)) rt.scheduled.add(e.EventId);
      const done = completedTaskId(e);
      if (done !== undefined) {
        rt.completed.add(done);
        this.inflight.delete(`${rt.record.executionId}:${done}`);
      }
      if (e.MessageId) rt.messageIds.add(e.MessageId);
    }
  }

  private async load(record: InstanceRecord): Promise<Runtime | undefined> {
    const { events, cursor } = await this.options.store.readHistory(record.instanceId, record.executionId);
    const rt = this.newRuntime(record);
    rt.cursor = cursor;
    this.absorb(rt, events);
    this.runtimes.set(record.instanceId, rt);
    // The history may be ahead of the row (crash between the two writes): the history wins.
    const end = events.find((e) => e.EventType === EventType.ExecutionCompleted || e.EventType === EventType.ExecutionTerminated);
    if (end) {
      if (end.EventType === EventType.ExecutionCompleted && end.OrchestrationStatus === 'ContinuedAsNew') {
        await this.continueAsNew(rt, end.Result ?? null);
        return undefined;
      }
      const status: RuntimeStatus = end.EventType === EventType.ExecutionTerminated ? 'Terminated' : (end.OrchestrationStatus as RuntimeStatus);
      await this.finish(rt, status, end.EventType === EventType.ExecutionTerminated ? JSON.stringify(end.Input ?? '') : end.Result ?? null);
      return undefined;
    }
    if (events.length === 0) rt.pending.push(this.executionStarted(record));
    return rt;
  }

  /** Re-dispatches what the history says is outstanding, and re-reads the inbox. */
  private async resumeWork(rt: Runtime): Promise<void> {
    for (const e of rt.history) {
      if (!isSchedulingEvent(e) || rt.completed.has(e.EventId)) continue;
      if (rt.pending.some((p) => completedTaskId(p) === e.EventId)) continue; // its result waits already
      if (e.EventType === EventType.TaskScheduled) await this.enqueueActivity(rt, e);
      else if (e.EventType === EventType.TimerCreated) this.startTimer(rt, e);
      else await this.ensureChild(rt, e);
    }
    await this.flushWork();
    await this.readInbox(rt);
    if (rt.pending.length) this.wake(rt);
  }

  /** Takes in the inbox: messages sent to the instance, and completions other hosts delivered. */
  private async readInbox(rt: Runtime): Promise<void> {
    const { record } = rt;
    const applied: string[] = [];
    for (const message of await this.options.store.listInbox(record.instanceId)) {
      const forExecution = message.event.ForExecution as string | undefined;
      if (rt.messageIds.has(message.messageId) || (forExecution && forExecution !== record.executionId)) applied.push(message.messageId);
      else this.addPending(rt, { ...message.event, MessageId: message.messageId });
    }
    // Committed to history (the host failed before deleting them), or meant for an older execution.
    if (applied.length) await this.options.store.deleteInbox(record.instanceId, applied);
  }

  /** Queues an event for the next episode unless history or the queue has it already. */
  private addPending(rt: Runtime, e: HistoryEvent): boolean {
    const id = completedTaskId(e);
    const queued = (match: (p: HistoryEvent) => boolean) => rt.pending.some(match) || rt.processing.some(match);
    if (id !== undefined && (rt.completed.has(id) || queued((p) => completedTaskId(p) === id))) return false;
    if (e.MessageId && (rt.messageIds.has(e.MessageId) || queued((p) => p.MessageId === e.MessageId))) return false;
    if (e.EventType === EventType.ExecutionStarted && (rt.history.length > 0 || rt.pending.some((p) => p.EventType === EventType.ExecutionStarted))) {
      return false;
    }
    rt.pending.push(e);
    return true;
  }

  /**
   * After a failed episode, memory and storage may disagree (the commit may or may not have
   * landed, later writes did not). Rebuilds the instance from storage, keeps every event that
   * waited for it (the failed episode's too) unless history has it now, and re-dispatches
   * outstanding work. Retried with backoff while storage keeps failing.
   */
  private scheduleReload(rt: Runtime): void {
    rt.reloading = true;
    rt.failures++;
    const delay = Math.min(100 * 2 ** Math.min(rt.failures, 8), 15_000) * (0.75 + Math.random() / 2);
    setTimeout(() => {
      this.reload(rt).catch((err: Error) => {
        this.options.log.warn(`Reloading instance '${rt.record.instanceId}' failed: ${err.message}. Retrying.`);
        rt.reloading = false;
        this.scheduleReload(rt);
      });
    }, delay).unref();
  }

  private async reload(rt: Runtime): Promise<void> {
    const id = rt.record.instanceId;
    if (this.stopping || this.runtimes.get(id) !== rt) return;
    const record = await this.options.store.getInstance(id);
    if (this.runtimes.get(id) !== rt) return;
    for (const timer of rt.timers.values()) clearTimeout(timer);
    if (!record || !isActive(record.status) || !this.ownsInstance(id)) {
      this.runtimes.delete(id);
      return;
    }
    const next = await this.load(record);
    if (!next) return; // the history says it ended; load finished it
    next.failures = rt.failures;
    if (record.executionId === rt.record.executionId) for (const e of rt.pending) this.addPending(next, e);
    await this.resumeWork(next);
    this.options.log.info(`Instance '${id}' reloaded from storage after a failed episode; ${next.pending.length} event(s) wait for the next one.`);
  }

  // ---------- several hosts on one hub ----------

  private readonly pollers: Promise<void>[] = [];

  /**
   * Joins the hub's hosts: takes partition leases (loading each acquired partition's unfinished
   * instances) and starts polling the owned partitions' control queues and the shared work items.
   */
  async startShared(): Promise<void> {
    await this.options.scaleOut!.queues.init();
    await this.leases!.start();
    this.pollers.push(this.pollControl(), this.pollWork());
  }

  private async loadPartition(partition: number): Promise<void> {
    const count = this.options.scaleOut!.queues.partitionCount;
    let continuation: string | undefined;
    const loaded: Runtime[] = [];
    do {
      const page = await this.options.store.queryInstances({ statuses: ACTIVE_STATUSES, continuation });
      continuation = page.continuation;
      for (const record of page.items) {
        if (partitionOf(record.instanceId, count) !== partition) continue;
        const rt = await this.loadOnce(record);
        if (rt) loaded.push(rt);
      }
    } while (continuation);
    for (const rt of loaded) await this.resumeWork(rt);
    if (loaded.length) this.options.log.info(`Partition ${partition}: resumed ${loaded.length} unfinished instance(s).`);
  }

  private dropPartition(partition: number): void {
    const count = this.options.scaleOut!.queues.partitionCount;
    for (const rt of [...this.runtimes.values()]) if (partitionOf(rt.record.instanceId, count) === partition) this.forget(rt);
  }

  /** Lets go of an instance another host now runs; what it had in memory is redone from storage there. */
  private forget(rt: Runtime): void {
    for (const timer of rt.timers.values()) clearTimeout(timer);
    if (this.runtimes.get(rt.record.instanceId) === rt) this.runtimes.delete(rt.record.instanceId);
  }

  private async idle(ms: number): Promise<void> {
    await new Promise((r) => setTimeout(r, ms).unref());
  }

  /** Wake-ups for instances of the owned partitions: start new ones, read the inbox of the others. */
  private async pollControl(): Promise<void> {
    const { queues, leaseMs } = this.options.scaleOut!;
    let delay = 25;
    while (!this.draining) {
      let found = 0;
      for (const partition of this.leases!.ownedPartitions()) {
        try {
          const wakes = await queues.receiveWakes(partition, leaseMs);
          found += wakes.length;
          const handled = new Set<string>();
          for (const id of new Set(wakes.map((w) => w.value))) if (await this.handleWake(id)) handled.add(id);
          // A wake-up this host did not handle (its lease on the partition is inside the safety
          // margin, or moved) stays queued: it reappears after the visibility timeout, for whoever
          // owns the partition then. Deleting it could leave the instance's inbox unread for good.
          await Promise.all(wakes.filter((w) => handled.has(w.value)).map((w) => queues.remove(queues.control[partition], w.message)));
        } catch (err) {
          this.options.log.warn(`Control queue ${partition}: ${(err as Error).message}`);
        }
      }
      delay = found ? 25 : Math.min(delay * 2, 500);
      await this.idle(delay);
    }
  }

  /** Acts on a wake-up; false when this host does not own the instance's partition now (the wake-up is left for its owner). */
  private async handleWake(instanceId: string): Promise<boolean> {
    if (!this.ownsInstance(instanceId)) return false;
    const rt = this.runtimes.get(instanceId);
    if (rt) {
      if (rt.reloading) return true; // the reload reads the inbox
      await this.readInbox(rt);
      if (rt.pending.length) this.wake(rt);
      return true;
    }
    const record = await this.options.store.getInstance(instanceId);
    if (!record || !isActive(record.status)) return true;
    const loaded = await this.loadOnce(record);
    if (loaded) await this.resumeWork(loaded);
    return true;
  }

  private readonly loading = new Set<string>();

  /** Loads an instance unless it is in memory or being loaded (a wake-up racing its partition's load). */
  private async loadOnce(record: InstanceRecord): Promise<Runtime | undefined> {
    const id = record.instanceId;
    if (this.runtimes.has(id) || this.loading.has(id)) return undefined;
    this.loading.add(id);
    try {
      return await this.load(record);
    } finally {
      this.loading.delete(id);
    }
  }

  private sharedTaken = 0;
  private sharedRunning = 0;
  private readonly slotWaiters: (() => void)[] = [];

  private async activitySlot(): Promise<void> {
    if (this.sharedRunning < this.options.maxConcurrentActivities) {
      this.sharedRunning++;
      return;
    }
    await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
  }

  private releaseSlot(): void {
    const next = this.slotWaiters.shift();
    if (next) next(); // the slot passes on
    else this.sharedRunning--;
  }

  /** Takes activities from the shared work-item queue while there is capacity, as every host does. */
  private async pollWork(): Promise<void> {
    const { queues, workItemVisibilityMs } = this.options.scaleOut!;
    let delay = 25;
    while (!this.draining) {
      // Up to twice the concurrency is taken, so the next items are at hand when one finishes.
      const capacity = 2 * this.options.maxConcurrentActivities - this.sharedTaken;
      let items: Awaited<ReturnType<SharedQueues['receiveWork']>> = [];
      if (capacity > 0) {
        try {
          items = await queues.receiveWork(capacity, workItemVisibilityMs);
        } catch (err) {
          this.options.log.warn(`Work-item queue: ${(err as Error).message}`);
        }
      }
      for (const item of items) void this.runWorkItem(item);
      delay = items.length ? 5 : Math.min(delay * 2, capacity > 0 ? 500 : 50);
      await this.idle(delay);
    }
  }

  private async runWorkItem(item: Awaited<ReturnType<SharedQueues['receiveWork']>>[number]): Promise<void> {
    const { queues, workItemVisibilityMs } = this.options.scaleOut!;
    this.sharedTaken++;
    this.runningActivities++;
    let popReceipt = item.message.popReceipt;
    let renewing: Promise<unknown> = Promise.resolve();
    // Kept invisible while it runs; a host that dies lets it reappear for another after the timeout.
    const renew = setInterval(() => {
      renewing = queues.extend(queues.workItems, item.message, popReceipt, workItemVisibilityMs).then(
        (receipt) => (popReceipt = receipt),
        () => undefined,
      );
    }, workItemVisibilityMs / 3);
    renew.unref();
    await this.activitySlot();
    try {
      const duplicate = this.faults.duplicateActivity > 0 && Math.random() < this.faults.duplicateActivity;
      const run = async () => {
        const completion = await this.execute(item.value);
        if (this.faults.reorder) await this.idle(Math.random() * 100);
        await this.deliverAnywhere(item.value.instanceId, item.value.executionId, completion);
      };
      if (duplicate) {
        this.faultsInjected.duplicateActivities++;
        void run().catch(() => undefined);
      }
      await run();
      clearInterval(renew);
      await renewing; // its new pop receipt is the one that deletes
      await queues.remove(queues.workItems, item.message, popReceipt);
    } catch (err) {
      // Not deleted: the item reappears after its visibility timeout and runs again (at-least-once).
      this.options.log.warn(`Activity '${item.value.name}' of '${item.value.instanceId}': ${(err as Error).message}; it will run again.`);
    } finally {
      clearInterval(renew);
      this.releaseSlot();
      this.sharedTaken--;
      this.runningActivities--;
    }
  }

  // ---------- episodes ----------

  private wake(rt: Runtime): void {
    if (rt.queued || rt.running || rt.reloading) return;
    rt.queued = true;
    this.episodeQueue.push(rt);
    this.schedulePump();
  }

  /** Deferred to the next turn so completions arriving together land in one episode. */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.stopping) return;
    while (this.runningEpisodes < this.options.maxConcurrentOrchestrations && this.episodeQueue.length) {
      const rt = this.episodeQueue.shift()!;
      rt.queued = false;
      if (this.runtimes.get(rt.record.instanceId) !== rt) continue;
      if (!this.ownsInstance(rt.record.instanceId)) {
        this.forget(rt); // its partition moved to another host, which loads it from storage
        continue;
      }
      rt.running = true;
      this.runningEpisodes++;
      const incoming = this.takeIncoming(rt);
      rt.processing = incoming;
      this.episode(rt, incoming)
        .then(
          () => {
            rt.failures = 0;
          },
          (err: Error) => {
            this.options.log.error(`Episode of instance '${rt.record.instanceId}' failed in the host: ${err.stack ?? err.message}. It will be retried.`);
            // Nothing of it is lost: its events go back in front of what arrived meanwhile.
            const waiting = rt.pending.splice(0);
            rt.pending.push(...incoming, ...waiting.filter((e) => !incoming.includes(e)));
            if (this.runtimes.get(rt.record.instanceId) === rt) this.scheduleReload(rt);
          },
        )
        .finally(() => {
          rt.processing = [];
          rt.running = false;
          this.runningEpisodes--;
          if (rt.pending.length && this.runtimes.get(rt.record.instanceId) === rt) this.wake(rt);
          this.pump();
        });
    }
    // While draining for shutdown, running activities finish but no new one starts.
    while (!this.draining && this.runningActivities < this.options.maxConcurrentActivities && this.activityQueue.length) {
      const work = this.activityQueue.shift()!;
      this.runningActivities++;
      const duplicate = this.faults.duplicateActivity > 0 && Math.random() < this.faults.duplicateActivity;
      const concurrent = duplicate && Math.random() < 0.5;
      if (duplicate) this.faultsInjected.duplicateActivities++;
      if (concurrent) void this.runDuplicate(work);
      this.runActivity(work).finally(() => {
        this.inflight.delete(`${work.executionId}:${work.taskId}`);
        this.runningActivities--;
        if (duplicate && !concurrent) setTimeout(() => void this.runDuplicate(work), 50 + Math.random() * 450).unref();
        this.pump();
      });
    }
  }

  /** This episode's messages: all that wait, or at most 32 in azure mode; completions shuffled when reordering. */
  private takeIncoming(rt: Runtime): HistoryEvent[] {
    const incoming = rt.pending.splice(0, this.faults.maxEpisodeMessages);
    if (this.faults.reorder) {
      const slots = incoming.flatMap((e, i) => (completedTaskId(e) === undefined ? [] : [i]));
      const shuffled = shuffle(slots.map((i) => incoming[i]));
      slots.forEach((slot, k) => (incoming[slot] = shuffled[k]));
    }
    return incoming;
  }

  private async episode(rt: Runtime, incoming: HistoryEvent[]): Promise<void> {
    const now = new Date();
    if (incoming.length === 0) return;
    const { record } = rt;
    const reg = this.orchestrators.get(record.name.toLowerCase());

    const terminate = incoming.find((e) => e.EventType === EventType.ExecutionTerminated);
    if (terminate) {
      await this.commit(rt, [event(EventType.OrchestratorStarted, {}, now), terminate, event(EventType.OrchestratorCompleted, {}, now)]);
      await this.finish(rt, 'Terminated', JSON.stringify(terminate.Input ?? ''));
      return;
    }
    if (!reg) {
      const reason = JSON.stringify(`The orchestrator function '${record.name}' is not registered in this app.`);
      const failed = event(EventType.ExecutionCompleted, { OrchestrationStatus: 'Failed', Result: reason }, now);
      await this.commit(rt, [event(EventType.OrchestratorStarted, {}, now), failed, event(EventType.OrchestratorCompleted, {}, now)]);
      await this.finish(rt, 'Failed', reason);
      return;
    }

    // Suspended instances take in only resume (and terminate, above); other messages wait.
    let suspended = record.status === 'Suspended';
    const accepted: HistoryEvent[] = [];
    const deferred: HistoryEvent[] = [];
    for (const e of incoming) {
      if (e.EventType === EventType.ExecutionSuspended) suspended = true;
      else if (e.EventType === EventType.ExecutionResumed) suspended = false;
      else if (suspended) {
        deferred.push(e);
        continue;
      }
      accepted.push(e);
    }
    rt.pending.unshift(...deferred);
    const newEvents = [event(EventType.OrchestratorStarted, {}, now), ...accepted];
    const hasWork = accepted.some((e) => e.EventType !== EventType.ExecutionSuspended && e.EventType !== EventType.ExecutionResumed);

    let outcome: Awaited<ReturnType<typeof runEpisode>> = {
      kind: 'running',
      scheduling: [],
      canceledTimers: [],
      output: null,
      customStatus: record.customStatus,
    };
    if (hasWork) {
      outcome = await runEpisode(this.options.invoker, {
        reg,
        instanceId: record.instanceId,
        executionId: record.executionId,
        input: record.input,
        parentInstanceId: record.parentInstanceId,
        history: rt.history,
        newEvents,
        scheduled: rt.scheduled,
        now,
      });
    }
    const events = [...newEvents];
    if (outcome.kind === 'running') events.push(...outcome.scheduling);
    if (outcome.kind === 'completed') events.push(event(EventType.ExecutionCompleted, { OrchestrationStatus: 'Completed', Result: outcome.output }, now));
    if (outcome.kind === 'failed') events.push(event(EventType.ExecutionCompleted, { OrchestrationStatus: 'Failed', Result: outcome.output }, now));
    if (outcome.kind === 'continuedAsNew') {
      events.push(event(EventType.ExecutionCompleted, { OrchestrationStatus: 'ContinuedAsNew', Result: outcome.continueAsNewInput ?? null }, now));
    }
    events.push(event(EventType.OrchestratorCompleted, {}, now));
    if (this.faults.episodeFail > 0 && Math.random() < this.faults.episodeFail) {
      this.faultsInjected.failedEpisodes++;
      throw new Error('Injected episode failure before commit (DEVHOST_FAULT_EPISODE_FAIL).');
    }
    await this.commit(rt, events);
    record.customStatus = outcome.customStatus;

    const inboxIds = accepted.map((e) => e.MessageId).filter((id): id is string => !!id);
    if (inboxIds.length) await this.options.store.deleteInbox(record.instanceId, inboxIds);

    if (outcome.kind === 'completed' || outcome.kind === 'failed') {
      await this.finish(rt, outcome.kind === 'completed' ? 'Completed' : 'Failed', outcome.output);
      return;
    }
    if (outcome.kind === 'continuedAsNew') {
      await this.continueAsNew(rt, outcome.continueAsNewInput ?? null);
      return;
    }
    record.status = suspended ? 'Suspended' : 'Running';
    await this.saveRowIfChanged(rt);
    for (const id of outcome.canceledTimers) {
      clearTimeout(rt.timers.get(id));
      rt.timers.delete(id);
    }
    for (const e of outcome.scheduling) {
      if (e.EventType === EventType.TaskScheduled) await this.enqueueActivity(rt, e);
      else if (e.EventType === EventType.TimerCreated) {
        if (!outcome.canceledTimers.includes(e.EventId)) this.startTimer(rt, e);
      } else await this.ensureChild(rt, e);
    }
    await this.flushWork();
  }

  private async commit(rt: Runtime, events: HistoryEvent[]): Promise<void> {
    rt.cursor = await this.options.store.appendHistory(rt.record.instanceId, rt.record.executionId, events, rt.cursor);
    this.absorb(rt, events);
  }

  private async saveRowIfChanged(rt: Runtime): Promise<void> {
    const signature = `${rt.record.status}|${rt.record.customStatus}`;
    if (signature === rt.rowSignature) return;
    rt.record.lastUpdatedTime = new Date().toISOString();
    await this.options.store.saveInstance(rt.record);
    rt.rowSignature = signature;
  }

  private async finish(rt: Runtime, status: RuntimeStatus, output: string | null): Promise<void> {
    const { record } = rt;
    record.status = status;
    record.output = output;
    record.lastUpdatedTime = new Date().toISOString();
    await this.options.store.saveInstance(record);
    for (const timer of rt.timers.values()) clearTimeout(timer);
    if (this.runtimes.get(record.instanceId) === rt) this.runtimes.delete(record.instanceId);
    this.options.log.debug(`Orchestration '${record.name}' (${record.instanceId}) ${status}.`);
    if (record.parentInstanceId) await this.notifyParent(record);
  }

  private async continueAsNew(rt: Runtime, input: string | null): Promise<void> {
    const previous = rt.record;
    const record: InstanceRecord = {
      ...previous,
      executionId: randomUUID().replace(/-/g, ''),
      status: 'Running',
      input,
      output: null,
      lastUpdatedTime: new Date().toISOString(),
    };
    for (const timer of rt.timers.values()) clearTimeout(timer);
    await this.options.store.saveInstance(record);
    const next = this.newRuntime(record);
    next.pending.push(this.executionStarted(record), ...rt.pending.filter((e) => e.EventType === EventType.EventRaised));
    this.runtimes.set(record.instanceId, next);
    this.wake(next);
  }

  // ---------- sub-orchestrations ----------

  private async ensureChild(rt: Runtime, created: HistoryEvent): Promise<void> {
    const childId = created.InstanceId!;
    const existing = await this.options.store.getInstance(childId);
    const ours =
      existing?.parentInstanceId === rt.record.instanceId &&
      existing.parentExecutionId === rt.record.executionId &&
      existing.parentTaskId === created.EventId;
    if (ours && existing) {
      if (!isActive(existing.status)) await this.notifyParent(existing);
      return; // still running: it resumes by itself and reports when done
    }
    try {
      const reg = this.orchestrators.get((created.Name ?? '').toLowerCase());
      if (!reg) throw new DurableError(400, `The function '${created.Name}' doesn't exist, is disabled, or is not an orchestrator function.`);
      await this.createInstance(reg.name, childId, created.Input ?? null, {
        instanceId: rt.record.instanceId,
        executionId: rt.record.executionId,
        taskId: created.EventId,
      });
    } catch (err) {
      await this.deliverAnywhere(rt.record.instanceId, rt.record.executionId, event(EventType.SubOrchestrationInstanceFailed, {
        TaskScheduledId: created.EventId,
        Reason: `Could not start sub-orchestration '${created.Name}' (${childId}): ${(err as Error).message}`,
        Details: '',
      }));
    }
  }

  private async notifyParent(child: InstanceRecord): Promise<void> {
    const completion =
      child.status === 'Completed'
        ? event(EventType.SubOrchestrationInstanceCompleted, { TaskScheduledId: child.parentTaskId, Result: child.output })
        : event(EventType.SubOrchestrationInstanceFailed, { TaskScheduledId: child.parentTaskId, ...subOrchestrationFailure(child) });
    await this.deliverAnywhere(child.parentInstanceId!, child.parentExecutionId!, completion);
  }

  // ---------- activities and timers ----------

  private deliver(instanceId: string, executionId: string, e: HistoryEvent): void {
    const rt = this.runtimes.get(instanceId);
    if (!rt || rt.record.executionId !== executionId) return; // finished or replaced: the result is discarded
    if (this.addPending(rt, e)) this.wake(rt);
  }

  /**
   * Delivers to an instance wherever it runs: in memory when this host owns it; otherwise, with
   * several hosts, durably through the inbox and a wake-up on its partition's control queue.
   */
  private async deliverAnywhere(instanceId: string, executionId: string, e: HistoryEvent): Promise<void> {
    const scale = this.options.scaleOut;
    if (!scale || this.runtimes.has(instanceId)) return this.deliver(instanceId, executionId, e);
    await this.options.store.addInbox(instanceId, { ...e, ForExecution: executionId });
    await scale.queues.wake(instanceId);
  }

  /** Work items waiting to be sent to the shared queue by `flushWork` (several hosts only). */
  private outbox: WorkItem[] = [];

  private async enqueueActivity(rt: Runtime, scheduled: HistoryEvent): Promise<void> {
    const key = `${rt.record.executionId}:${scheduled.EventId}`;
    if (this.inflight.has(key)) return;
    this.inflight.add(key);
    const work: WorkItem = {
      instanceId: rt.record.instanceId,
      executionId: rt.record.executionId,
      taskId: scheduled.EventId,
      name: scheduled.Name ?? '',
      input: scheduled.Input ?? null,
    };
    if (this.options.scaleOut) this.outbox.push(work);
    else this.activityQueue.push(work);
    this.schedulePump();
  }

  /** Sends the outbox to the work-item queue (64 at a time); a failure keeps the rest for the retry. */
  private async flushWork(): Promise<void> {
    const scale = this.options.scaleOut;
    while (scale && this.outbox.length) {
      const batch = this.outbox.slice(0, 64);
      const results = await Promise.allSettled(batch.map((w) => scale.queues.enqueueWork(w)));
      this.outbox.splice(0, batch.length);
      const failed = batch.filter((_, i) => results[i].status === 'rejected');
      if (failed.length) {
        for (const w of failed) this.inflight.delete(`${w.executionId}:${w.taskId}`); // the reload sends them again
        throw (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason;
      }
    }
  }

  /**
   * A second execution of an activity, as a redelivered work item in Azure runs it: concurrently
   * with the first or after it, even after the orchestration moved on. Its result is delivered
   * like any other and must be discarded by the usual dedupe.
   */
  private async runDuplicate(work: ActivityWork): Promise<void> {
    if (this.stopping || this.draining) return;
    await this.runActivity(work, true);
  }

  private async runActivity(work: ActivityWork, duplicate = false): Promise<void> {
    const rt = this.runtimes.get(work.instanceId);
    if (!duplicate && (!rt || rt.record.executionId !== work.executionId)) return;
    const completion = await this.execute(work);
    if (this.stopping) return;
    if (this.faults.reorder) {
      // Completions overtake each other, as messages on the real control queues may.
      setTimeout(() => this.deliver(work.instanceId, work.executionId, completion), Math.random() * 100).unref();
      return;
    }
    this.deliver(work.instanceId, work.executionId, completion);
  }

  /** Runs one activity; its completion (or failure) event. */
  private async execute(work: ActivityWork): Promise<HistoryEvent> {
    const reg = this.activities.get(work.name.toLowerCase());
    let completion: HistoryEvent;
    if (!reg) {
      const failure =
        work.name === 'BuiltIn::HttpActivity'
          ? { Reason: 'Durable HTTP (callHttp) is not supported by the local host.', Details: '' }
          : missingActivity(work.name);
      completion = event(EventType.TaskFailed, { TaskScheduledId: work.taskId, ...failure });
    } else {
      try {
        const input = work.input === null ? undefined : actionInputValue(JSON.parse(work.input));
        const { result } = await this.options.invoker.invoke(reg, input, {
          quiet: true,
          reason: 'ActivityTrigger',
          triggerMetadata: { instanceId: work.instanceId },
          extraInputs: this.options.extraInputsFor(reg),
        });
        completion = event(EventType.TaskCompleted, { TaskScheduledId: work.taskId, Result: result === undefined ? null : JSON.stringify(result) });
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        completion = event(EventType.TaskFailed, { TaskScheduledId: work.taskId, ...activityFailure(reg.name, error) });
      }
    }
    return completion;
  }

  private startTimer(rt: Runtime, created: HistoryEvent): void {
    const fireAt = new Date(created.FireAt!);
    const arm = () => {
      const delay = Math.max(0, fireAt.getTime() - Date.now());
      const handle = setTimeout(delay > MAX_TIMEOUT ? arm : () => {
        // setTimeout may fire a millisecond early: a timer never fires before its FireAt.
        if (Date.now() < fireAt.getTime()) return arm();
        rt.timers.delete(created.EventId);
        this.deliver(rt.record.instanceId, rt.record.executionId, event(EventType.TimerFired, { TimerId: created.EventId, FireAt: created.FireAt }));
      }, Math.min(delay, MAX_TIMEOUT));
      handle.unref();
      rt.timers.set(created.EventId, handle);
    };
    arm();
  }

  // ---------- shutdown ----------

  private draining = false;

  /**
   * Stops taking new work. Running activities finish and their results are committed
   * (one last episode each) within the deadline; whatever is left is recovered on restart.
   */
  async stop(timeoutMs: number): Promise<void> {
    this.draining = true;
    const deadline = Date.now() + timeoutMs;
    for (const work of this.activityQueue.splice(0)) this.inflight.delete(`${work.executionId}:${work.taskId}`);
    // Both timers are cleared whichever ends the wait: a poll left running after the deadline (an
    // activity that never ends) would keep the process alive for ever, every 20 ms.
    let poll: NodeJS.Timeout | undefined;
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => {
        poll = setInterval(() => {
          if (this.runningActivities === 0 && this.runningEpisodes === 0 && this.episodeQueue.length === 0) resolve();
        }, 20);
      }),
      new Promise<void>((resolve) => (timeout = setTimeout(resolve, Math.max(0, deadline - Date.now())))),
    ]);
    clearInterval(poll);
    clearTimeout(timeout);
    this.stopping = true;
    for (const rt of this.runtimes.values()) for (const t of rt.timers.values()) clearTimeout(t);
    await Promise.all(this.pollers);
    await this.leases?.stop().catch((err: Error) => this.options.log.warn(`Releasing partition leases: ${err.message}`));
  }
}
