import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppStack, startApp, samplesDir } from '../support/appHost';

/**
 * Scoring workers started ahead of the first job (lib/jobs/deploymentWarmer.ts), through the real
 * app in devhost on Azurite with ONNX Runtime: after a deployment PUT, and when an instance
 * starts (the `appStart` hook), before any job; a model that cannot be warmed neither fails the
 * PUT nor changes what its job reports.
 */

let app: AppStack;
const broken = mkdtempSync(join(tmpdir(), 'broken-model-'));

beforeAll(async () => {
  app = await startApp();
  await app.upload('inputs/iris', join(samplesDir, 'data'), (n) => n === 'iris-part-1.csv');
  writeFileSync(join(broken, 'MLmodel'), 'flavors:\n  onnx:\n    onnx_version: 1.15.0\n');
  writeFileSync(join(broken, 'model.onnx'), 'not an onnx model');
});
afterAll(async () => {
  await app?.stop();
  rmSync(broken, { recursive: true, force: true });
});

/** Waits for a line of the host's output matching `pattern` (the host logs each warm-up). */
async function hostLine(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = app.host.output().split('\n').find((l) => pattern.test(l));
    if (line) return line;
    if (Date.now() > deadline) throw new Error(`no host line matching ${pattern}; host output:\n${app.host.output().split('\n').slice(-40).join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function jobsOf(endpoint: string): Promise<unknown[]> {
  return (await app.api('GET', `batchEndpoints/${endpoint}/jobs`)).body.value;
}

describe('scoring workers warmed ahead of the first job', () => {
  it('after a deployment PUT: its workers start and load the model before any job', async () => {
    await app.deploy({ endpoint: 'iris', deployment: 'onnx', modelFolder: join(samplesDir, 'model'), settings: { miniBatchSize: 1, maxConcurrencyPerInstance: 2 } });
    const line = await hostLine(/Scoring workers of deployment 'onnx' of batch endpoint 'iris' warmed ahead of its first job: (\d+) worker\(s\) with the model loaded/);
    expect(Number(/(\d+) worker/.exec(line)![1])).toBeGreaterThanOrEqual(1);
    expect(await jobsOf('iris')).toEqual([]);
    // The job then runs on them.
    const { job } = await app.runJob('iris', 'inputs/iris');
    expect(job.properties.status).toBe('Completed');
  });

  it('a model that cannot be loaded: the PUT succeeds, the warm-up is logged as failed, and the job fails with the same clear error', async () => {
    // deploy() asserts every PUT answered 2xx.
    await app.deploy({ endpoint: 'broken', deployment: 'onnx', modelFolder: broken, settings: { miniBatchSize: 1, retrySettings: { maxRetries: 0 } } });
    await hostLine(/Scoring workers of deployment 'onnx' of batch endpoint 'broken' could not be warmed \(0 ready\); its jobs will report this: the model cannot be used by the no-code scorer/);
    const { job } = await app.runJob('broken', 'inputs/iris');
    expect(job.properties.status).toBe('Failed');
    expect(JSON.stringify(job.properties.error)).toMatch(/the model cannot be used by the no-code scorer/);
  });

  it("when an instance starts: the endpoints' default deployments, before any job there", async () => {
    await app.host.stop();
    await app.startHost();
    await hostLine(/Scoring workers of deployment 'onnx' of batch endpoint 'iris' warmed ahead of its first job: \d+ worker\(s\) with the model loaded/);
    await hostLine(/Scoring workers of deployment 'onnx' of batch endpoint 'broken' could not be warmed/);
  });
});
