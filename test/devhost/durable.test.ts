import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { join } from 'node:path';
import { spawnHost, uniqueHub, waitForCompletion, repoRoot, keys, type SpawnedHost } from '../support/devhost';

const appDir = join(repoRoot, 'test', 'apps', 'durable');
let host: SpawnedHost;

async function start(name: string, input: unknown, id?: string): Promise<{ id: string; statusQueryGetUri: string; [k: string]: string }> {
  const res = await fetch(`${host.url}/api/start/${name}${id ? `/${id}` : ''}`, { method: 'POST', body: JSON.stringify(input) });
  expect(res.status).toBe(202);
  const body = (await res.json()) as { id: string; statusQueryGetUri: string };
  expect(res.headers.get('location')).toBe(body.statusQueryGetUri);
  return body as never;
}

async function run(name: string, input: unknown, id?: string) {
  const started = await start(name, input, id);
  return waitForCompletion(started.statusQueryGetUri);
}

beforeAll(async () => {
  host = await spawnHost({ appDir, connectionString: inject('storageConnectionString'), env: { TEST_HUB: uniqueHub('Durable') } });
});
afterAll(async () => {
  await host?.stop();
});

describe('devhost durable functions', () => {
  it('fans out 100 activities and fans in every result in order', async () => {
    const status = await run('fanOut', { count: 100 });
    expect(status.httpStatus).toBe(200);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('retries a failing activity with backoff and writes the documented retry history', async () => {
    const status = await run('retrying', { key: 'r1', failures: 2, maxAttempts: 4, firstRetryMs: 300, backoff: 2 });
    expect(status.output).toEqual({ key: 'r1', attempts: 3 });
    const detail = await (await fetch(`${host.url}/api/client/status/${status.instanceId}`, { method: 'GET' })).json();
    const events = (detail.history as { EventType: string; EventId: number; TaskScheduledId?: number; TimerId?: number; FireAt?: string; Timestamp: string }[])
      .filter((e) => !['ExecutionStarted', 'ExecutionCompleted'].includes(e.EventType));
    expect(events.map((e) => e.EventType)).toEqual([
      'TaskScheduled', 'TaskFailed', 'TimerCreated', 'TimerFired',
      'TaskScheduled', 'TaskFailed', 'TimerCreated', 'TimerFired',
      'TaskScheduled', 'TaskCompleted',
    ]);
    expect(events.map((e) => e.EventId)).toEqual([0, -1, 1, -1, 2, -1, 3, -1, 4, -1]);
    expect([events[1].TaskScheduledId, events[3].TimerId, events[5].TaskScheduledId, events[7].TimerId, events[9].TaskScheduledId]).toEqual([0, 1, 2, 3, 4]);
    // Backoff: the retry timers fire 300 ms, then 300 * 2 ms, after the episode that saw the failure.
    const delay = (i: number) => Date.parse(events[i].FireAt!) - Date.parse(events[i].Timestamp);
    expect(delay(2)).toBe(300);
    expect(delay(6)).toBe(600);
    expect(Date.parse(events[3].Timestamp)).toBeGreaterThanOrEqual(Date.parse(events[2].FireAt!));
  });

  it('fails the task after the last attempt (after the zero-delay timer) so the orchestrator can catch it', async () => {
    const status = await run('retrying', { key: 'r2', failures: 10, maxAttempts: 2, firstRetryMs: 100 });
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output.failed).toBe(true);
    // As the Functions host (RpcException) and the Durable extension (TaskActivityShim) write it.
    expect(status.output.message).toMatch(/^Activity function 'flaky' failed: Result: Failure\nException: flaky failure 2 of 10\nStack: Error: flaky failure 2 of 10\n\s+at /);
    const details = JSON.parse(status.output.message.split(' \n ').pop());
    expect(details.$type).toBe('Microsoft.Azure.WebJobs.Script.Workers.Rpc.RpcException, Microsoft.Azure.WebJobs.Script');
    expect(details.Message).toMatch(/^Result: Failure\nException: flaky failure 2 of 10\n/);
  });

  it('fails a call to an activity that does not exist with the extension\'s text', async () => {
    const status = await run('callsMissing', null);
    expect(status.output).toMatch(/^Activity function 'noSuchActivity' failed: Activity function 'noSuchActivity' does not exist\. \n \{/);
  });

  it('waits on a durable timer', async () => {
    const started = Date.now();
    const status = await run('timerThenEcho', { delayMs: 1500 });
    expect(status.output.echoed).toBe('after-timer');
    expect(status.output.waitedMs).toBeGreaterThanOrEqual(1500);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
  });

  it('delivers external events, including one raised before it is awaited, in order', async () => {
    const { id } = await start('twoEvents', null);
    const raise = (event: string, value: unknown) =>
      fetch(`${host.url}/api/client/raise/${id}?event=${event}`, { method: 'POST', body: JSON.stringify(value) });
    expect((await raise('second', 'B')).status).toBe(202);
    await new Promise((r) => setTimeout(r, 200));
    expect((await raise('first', 'A')).status).toBe(202);
    const status = await waitForCompletion(`${host.url}/runtime/webhooks/durabletask/instances/${id}?code=${keys.masterKey}`);
    expect(status.output).toEqual(['A', 'B']);
  });

  it('races an external event against a timer with Task.any and shows custom status', async () => {
    const approved = await start('approval', { timeoutMs: 30_000 });
    let running: { customStatus?: unknown; runtimeStatus?: string } = {};
    for (let i = 0; i < 100 && !running.customStatus; i++) {
      running = await (await fetch(approved.statusQueryGetUri)).json();
      if (!running.customStatus) await new Promise((r) => setTimeout(r, 20));
    }
    expect(running.customStatus).toEqual({ stage: 'waiting' });
    expect(running.runtimeStatus).toBe('Running');
    await fetch(`${host.url}/api/client/raise/${approved.id}?event=approve`, { method: 'POST', body: JSON.stringify('alice') });
    const done = await waitForCompletion(approved.statusQueryGetUri);
    expect(done.output).toEqual({ approved: true, by: 'alice' });
    expect(done.customStatus).toEqual({ stage: 'approved' });
    const timedOut = await run('approval', { timeoutMs: 300 });
    expect(timedOut.output).toEqual({ approved: false });
  });

  it('runs sub-orchestrations and surfaces a failing child to the parent', async () => {
    const status = await run('parent', [1, 2, 3]);
    expect(status.output.results).toEqual([2, 4, 6]);
    // The parent receives the child's own failure reason (DTFx), as the SDK rethrows it.
    expect(status.output.failure).toMatch(/^Orchestrator function 'child' failed: child refused -1 \n \{"\$type":"System\.Exception/);
  });

  it('continues as new with a fresh history', async () => {
    const status = await run('counter', 0);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toBe('done at 3');
  });

  it('terminates a running instance with its reason as output, and refuses to raise events afterwards', async () => {
    const { id, statusQueryGetUri } = await start('waitForever', null);
    expect((await fetch(`${host.url}/api/client/terminate/${id}?reason=enough`, { method: 'POST' })).status).toBe(202);
    const status = await waitForCompletion(statusQueryGetUri);
    expect(status.runtimeStatus).toBe('Terminated');
    expect(status.output).toBe('enough');
    const late = await fetch(`${host.url}/runtime/webhooks/durabletask/instances/${id}/raiseEvent/never?code=${keys.masterKey}`, { method: 'POST', body: '1' });
    expect(late.status).toBe(410);
  });

  it('reports an orchestrator that throws as Failed with the error', async () => {
    const status = await run('failing', null);
    expect(status.runtimeStatus).toBe('Failed');
    expect(status.output).toContain("Orchestrator function 'failing' failed: orchestrator gave up");
  });

  it('applies instance id reuse rules: running ids are refused, finished ids are replaced', async () => {
    const base = `${host.url}/runtime/webhooks/durabletask`;
    const id = `reuse-${Date.now()}`;
    await start('waitForever', null, id);
    const again = await fetch(`${base}/orchestrators/waitForever/${id}?code=${keys.masterKey}`, { method: 'POST' });
    expect(again.status).toBe(500);
    await fetch(`${host.url}/api/client/terminate/${id}`, { method: 'POST' });
    await waitForCompletion(`${base}/instances/${id}?code=${keys.masterKey}`);
    const replaced = await run('fanOut', { count: 3 }, id);
    expect(replaced.runtimeStatus).toBe('Completed');
    expect(replaced.output).toEqual([0, 1, 2]);
  });

  it('refuses unknown orchestrators and invalid ids, and 404s unknown instances', async () => {
    const base = `${host.url}/runtime/webhooks/durabletask`;
    expect((await fetch(`${base}/orchestrators/nope?code=${keys.masterKey}`, { method: 'POST' })).status).toBe(400);
    expect((await fetch(`${base}/orchestrators/fanOut/bad%23id?code=${keys.masterKey}`, { method: 'POST', body: '{"count":1}' })).status).toBe(400);
    expect((await fetch(`${base}/instances/does-not-exist?code=${keys.masterKey}`)).status).toBe(404);
    expect((await fetch(`${base}/instances/does-not-exist`)).status).toBe(401);
  });

  it('purges a finished instance so it is gone', async () => {
    const status = await run('fanOut', { count: 2 });
    const purged = await (await fetch(`${host.url}/api/client/purge/${status.instanceId}`, { method: 'POST' })).json();
    expect(purged.instancesDeleted).toBe(1);
    const base = `${host.url}/runtime/webhooks/durabletask`;
    expect((await fetch(`${base}/instances/${status.instanceId}?code=${keys.masterKey}`)).status).toBe(404);
  });
});

describe('devhost concurrent starts of one instance id', () => {
  it('answers racing starts with the same input as Azure does (accepted), and runs the instance once', async () => {
    const base = `${host.url}/runtime/webhooks/durabletask`;
    const id = `race-${Date.now()}`;
    const body = JSON.stringify({ count: 3 });
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => fetch(`${base}/orchestrators/fanOut/${id}?code=${keys.masterKey}`, { method: 'POST', body }).then(async (r) => ({ status: r.status, text: await r.text() }))),
    );
    // A start that saw the instance already there is refused with the runtime's text; one that
    // raced it past that check is accepted; none fails otherwise.
    for (const a of answers) {
      if (a.status !== 202) expect(a.text).toMatch(/An Orchestration instance with the status (Pending|Running) already exists/);
    }
    expect(answers.some((a) => a.status === 202)).toBe(true);
    const status = await waitForCompletion(`${base}/instances/${id}?showHistory=true&code=${keys.masterKey}`);
    expect(status.output).toEqual([0, 1, 2]);
    expect((status.historyEvents as { EventType: string }[]).filter((e) => e.EventType === 'ExecutionStarted')).toHaveLength(1);
  });
});
