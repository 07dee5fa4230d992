import { describe, expect, inject, it } from 'vitest';
import { join } from 'node:path';
import { keys, repoRoot, spawnHost, uniqueHub, waitForCompletion } from '../support/devhost';

const appDir = join(repoRoot, 'test', 'apps', 'durable');

/**
 * Starts `versioned` with the v1 code, waits until it has scheduled its first activity and waits
 * for an event, redeploys (a new host on the same hub) with `variant`, and raises the event.
 */
async function replayWith(variant: string) {
  const connectionString = inject('storageConnectionString');
  const hub = uniqueHub('Replay');
  const id = `replay-${variant}-${Date.now()}`;
  const v1 = await spawnHost({ appDir, connectionString, env: { TEST_HUB: hub, ORCHESTRATOR_VARIANT: 'v1' } });
  const statusUrl = (url: string) => `${url}/runtime/webhooks/durabletask/instances/${id}?showHistory=true&code=${keys.masterKey}`;
  try {
    expect((await fetch(`${v1.url}/api/start/versioned/${id}`, { method: 'POST' })).status).toBe(202);
    for (let i = 0; i < 500; i++) {
      const body = (await (await fetch(statusUrl(v1.url))).json()) as { historyEvents?: { EventType: string }[] };
      if (body.historyEvents?.some((e) => e.EventType === 'TaskCompleted')) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 200)); // the episode that took in the completion commits
  } finally {
    expect(await v1.stop()).toBe(0);
  }
  const v2 = await spawnHost({ appDir, connectionString, env: { TEST_HUB: hub, ORCHESTRATOR_VARIANT: variant } });
  try {
    const raised = await fetch(`${v2.url}/runtime/webhooks/durabletask/instances/${id}/raiseEvent/go?code=${keys.masterKey}`, { method: 'POST', body: '"now"' });
    expect(raised.status).toBe(202);
    return await waitForCompletion(statusUrl(v2.url), 30_000);
  } finally {
    await v2.stop();
  }
}

describe('devhost replay checks', () => {
  it('replays unchanged code to completion', async () => {
    const status = await replayWith('v1');
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toEqual({ variant: 'v1', last: 'now' });
  });

  it('fails an instance whose changed orchestrator schedules another activity at a replayed sequence id', async () => {
    const status = await replayWith('renamed');
    expect(status.runtimeStatus).toBe('Failed');
    expect(status.output).toBe(
      "Non-Deterministic workflow detected: A previous execution of this orchestration scheduled an activity task with sequence number 0 named 'echo', " +
        "but the current orchestration replay instead scheduled an activity task named 'slowEcho' with this sequence number.  " +
        'Was a change made to the orchestrator code after this instance had already started running?',
    );
  });

  it('fails an instance whose changed orchestrator creates a timer where the history has an activity', async () => {
    const status = await replayWith('timer');
    expect(status.runtimeStatus).toBe('Failed');
    expect(status.output).toContain(
      "Non-Deterministic workflow detected: A previous execution of this orchestration scheduled an activity task with sequence number 0 named 'echo', but the current orchestration replay instead produced a CreateTimerOrchestratorAction action",
    );
  });

  it('fails an instance whose changed orchestrator no longer schedules a replayed activity', async () => {
    const status = await replayWith('removed');
    expect(status.runtimeStatus).toBe('Failed');
    expect(status.output).toContain(
      "Non-Deterministic workflow detected: A previous execution of this orchestration scheduled an activity task with sequence ID 0 and name 'echo' (version ''), but the current replay execution hasn't (yet?) scheduled this task.",
    );
  });
});
