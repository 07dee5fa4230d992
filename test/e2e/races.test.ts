import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_KEYS, repoRoot } from '../../scripts/support/appStack';
import { ORCHESTRATION } from '../../lib/jobs/contracts';
import { AppStack, startApp, samplesDir, type ApiResponse } from '../support/appHost';

// Races found under load (issue 15): concurrent invokes with one request id, and outputs claimed
// at invoke. Through devhost, with real Azurite and real durable starts.

const EP = 'races';
let app: AppStack;
let scratch: string;
const releases: string[] = [];

const input = { InputData: { iris: { JobInputType: 'UriFile', Uri: 'azureml://datastores/workspaceblobstore/paths/inputs/ok/iris-part-1.csv' } } };
const outputAt = (path: string) => ({ OutputData: { score: { JobOutputType: 'UriFile', Uri: `azureml://datastores/workspaceblobstore/paths/${path}` } } });
const jobsOf = async () => ((await app.api('GET', `batchEndpoints/${EP}/jobs?$top=100`)).body.value as { name: string }[]).map((j) => j.name);

/** An invoke of the gate deployment: its one mini-batch waits until the returned file exists. */
function gated(output: string): { body: Record<string, unknown>; release: string } {
  const release = join(scratch, `release-${randomUUID()}`);
  releases.push(release);
  return { body: { ...input, ...outputAt(output), InputData: { ...input.InputData, release: { JobInputType: 'Literal', Value: release } } }, release };
}
const invokeGate = (body: Record<string, unknown>, headers: Record<string, string> = {}) => app.invoke(EP, body, { 'azureml-model-deployment': 'gate', ...headers });

beforeAll(async () => {
  app = await startApp();
  scratch = mkdtempSync(join(tmpdir(), 'races-'));
  const gateCode = join(repoRoot, 'test', 'fixtures', 'scripts', 'e2e', 'gate');
  await app.deploy({ endpoint: EP, deployment: 'gate', modelFolder: join(samplesDir, 'model'), modelType: 'custom_model', codeFolder: gateCode, settings: { errorThreshold: 0, retrySettings: { maxRetries: 0, timeout: 'PT25M' } } });
  await app.upload('inputs/ok', join(samplesDir, 'data'), (n) => n === 'iris-part-1.csv');
});
afterAll(async () => {
  for (const release of releases) writeFileSync(release, '', { flag: 'a' });
  await app?.stop();
});

describe('concurrent invokes with one x-ms-client-request-id', () => {
  it('all answer with the same job (202, or 409 InvokeInProgress with Retry-After), never 500, round after round', async () => {
    const ROUNDS = 8;
    const AT_ONCE = 8;
    for (let round = 0; round < ROUNDS; round++) {
      const { body, release } = gated(`races/idem-${round}-${randomUUID()}.csv`);
      const headers = { 'x-ms-client-request-id': `race-${round}-${randomUUID()}` };
      const answers: ApiResponse[] = await Promise.all(Array.from({ length: AT_ONCE }, () => invokeGate(body, headers)));
      const summary = JSON.stringify(answers.map((a) => [a.status, a.body?.error?.code ?? a.body?.name]));
      for (const a of answers) {
        expect([202, 409], summary).toContain(a.status);
        if (a.status === 409) {
          expect(a.body.error.code, summary).toBe('InvokeInProgress');
          expect(Number(a.headers.get('retry-after'))).toBeGreaterThan(0);
        }
      }
      const ids = new Set(answers.filter((a) => a.status === 202).map((a) => a.body.name));
      expect(ids.size, summary).toBe(1);
      const [jobId] = [...ids];
      // One job for the id, and it runs: its gate holds it Running until released.
      await app.waitUntil('job running', async () => (await app.job(EP, jobId!)).properties.status === 'Running');
      writeFileSync(release, '');
      expect((await app.waitForJob(EP, jobId!)).properties.status).toBe('Completed');
      const history = await app.orchestration(jobId!);
      expect(history!.historyEvents.filter((e) => e.EventType === 'ExecutionStarted')).toHaveLength(1);
    }
  });
});

describe('outputs are claimed at invoke', () => {
  it('concurrent invokes aimed at one output: one job, the others 409 OutputInUse and no job', async () => {
    const path = `races/same-${randomUUID()}.csv`;
    const before = await jobsOf();
    const invokes = Array.from({ length: 6 }, () => gated(path));
    const answers = await Promise.all(invokes.map((g) => invokeGate(g.body)));
    const accepted = answers.filter((a) => a.status === 202);
    expect(accepted, JSON.stringify(answers.map((a) => a.status))).toHaveLength(1);
    for (const a of answers.filter((x) => x.status !== 202)) {
      expect(a.status).toBe(409);
      expect(a.body.error.code).toBe('OutputInUse');
      expect(a.body.error.message).toContain(accepted[0]!.body.name);
    }
    expect((await jobsOf()).filter((id) => !before.includes(id))).toEqual([accepted[0]!.body.name]);
    for (const g of invokes) writeFileSync(g.release, '');
    expect((await app.waitForJob(EP, accepted[0]!.body.name)).properties.status).toBe('Completed');
    // Written now: the blob refuses the next one.
    const after = await invokeGate(gated(path).body);
    expect([after.status, after.body.error.code]).toEqual([409, 'OutputAlreadyExists']);
  });

  it('an output a running job will write is refused before anything starts; released when that job is canceled or fails, then reusable', async () => {
    const path = `races/overlap-${randomUUID()}.csv`;
    const first = gated(path);
    const running = await invokeGate(first.body);
    expect(running.status).toBe(202);
    await app.waitUntil('first job running', async () => (await app.job(EP, running.body.name)).properties.status === 'Running');
    const before = await jobsOf();
    const overlapping = await invokeGate(gated(path).body);
    expect([overlapping.status, overlapping.body.error.code]).toEqual([409, 'OutputInUse']);
    expect(await jobsOf()).toEqual(before);

    // Canceled: the path is free again.
    expect((await app.api('POST', `batchEndpoints/${EP}/jobs/${running.body.name}/cancel`)).status).toBe(202);
    writeFileSync(first.release, '');
    expect((await app.waitForJob(EP, running.body.name)).properties.status).toBe('Canceled');
    const second = gated(path);
    const reuse = await invokeGate(second.body);
    expect(reuse.status, JSON.stringify(reuse.body)).toBe(202);

    // Failed: free again too.
    writeFileSync(second.release, 'fail');
    const failed = await app.waitForJob(EP, reuse.body.name);
    expect(failed.properties.status).toBe('Failed');
    const third = gated(path);
    const again = await invokeGate(third.body);
    expect(again.status, JSON.stringify(again.body)).toBe(202);
    writeFileSync(third.release, '');
    expect((await app.waitForJob(EP, again.body.name)).properties.status).toBe('Completed');
    expect(await app.readWorkspaceBlob(path)).toContain('iris-part-1.csv');
  });

  it('a duplicate start of a finished job changes nothing: it stays Completed, its output and its claim stay', async () => {
    const path = `races/dup-${randomUUID()}.csv`;
    const g = gated(path);
    const invoked = await invokeGate(g.body);
    writeFileSync(g.release, '');
    const done = await app.waitForJob(EP, invoked.body.name);
    expect(done.properties.status).toBe('Completed');
    const output = await app.readWorkspaceBlob(path);
    const first = await app.orchestration(invoked.body.name);
    // Start the finished instance again, as a late racer's startNew would (the runtime restarts a finished id).
    const res = await fetch(`${app.host.url}/runtime/webhooks/durabletask/orchestrators/${ORCHESTRATION.job}/${invoked.body.name}?code=${HOST_KEYS.masterKey}`, {
      method: 'POST',
      body: JSON.stringify({ endpointName: EP, jobId: invoked.body.name }),
    });
    expect(res.status).toBeLessThan(300);
    await app.waitUntil('the second run ended', async () => {
      // The second run, not the first one's status read before the restart was taken up.
      const h = await app.orchestration(invoked.body.name);
      return h?.runtimeStatus === 'Completed' && h.createdTime !== first?.createdTime;
    });
    const after = await app.job(EP, invoked.body.name);
    expect(after.properties.status).toBe('Completed');
    expect(after.properties.endTime).toBe(done.properties.endTime);
    expect(await app.readWorkspaceBlob(path)).toBe(output);
    const refused = await invokeGate(gated(path).body);
    expect([refused.status, refused.body.error.code]).toEqual([409, 'OutputAlreadyExists']);
  });
});
