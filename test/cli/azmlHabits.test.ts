import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppStack, repoRoot } from '../../scripts/support/appStack';
import { samplesDir, startApp } from '../support/appHost';

// What an Azure ML user types from habit (az ml's docs and scripts), run through the CLI
// (`node dist/cli/main.js`, what `npx azmlb` runs) against the real app in devhost on Azurite.

const main = join(repoRoot, 'dist', 'cli', 'main.js');
const samples = join(repoRoot, 'samples', 'cli');
const ds = 'azureml://datastores/workspaceblobstore/paths';

let app: AppStack;
let env: Record<string, string>;
let work: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function azmlb(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [main, ...args], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function ok(args: string[]): Promise<Run> {
  const run = await azmlb(args);
  expect(run.code, `azmlb ${args.join(' ')}\n${run.stdout}\n${run.stderr}`).toBe(0);
  return run;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'azmlb-habits-'));
  const issuerDir = join(work, 'issuer');
  // A slow retry, so a stream polling every 200 ms surely sees a mini-batch between two attempts.
  app = await startApp({ LOCAL_ISSUER_DIR: issuerDir, MINI_BATCH_RETRY_DELAY_MS: '1500' }, { issuerDir });
  env = { AZMLB_CONFIG_DIR: join(work, 'config'), LOCAL_ISSUER_DIR: issuerDir, AZMLB_POLL_MS: '200', AZMLB_URL: app.host.url };
  await app.upload('samples/iris/model', join(samplesDir, 'model'));
  await app.upload('samples/iris/score', join(samplesDir, 'score'));
  await app.upload('samples/iris/data', join(samplesDir, 'data'));
  await ok(['model', 'create', '--name', 'iris-cli-model', '--version', '1', '--path', `${ds}/samples/iris/model`, '--type', 'mlflow_model']);
  await ok(['batch-endpoint', 'create', '-f', join(samples, 'endpoint.yml')]);
  await ok(['batch-deployment', 'create', '-f', join(samples, 'deployment-legacy.yml'), '--set-default']);
}, 180_000);

afterAll(async () => {
  await app?.stop();
});

describe("az ml's habits", () => {
  it('-g/--resource-group, -w/--workspace-name, --subscription and --no-wait are accepted (one app is one workspace)', async () => {
    const shown = await ok(['batch-endpoint', 'show', '-n', 'iris-cli', '-g', 'my-rg', '-w', 'my-ws', '--subscription', '00000000-0000-0000-0000-000000000000', '--query', 'name', '-o', 'tsv']);
    expect(shown.stdout.trim()).toBe('iris-cli');
    const long = await ok(['batch-deployment', 'show', '-n', 'iris-onnx', '--endpoint-name', 'iris-cli', '--resource-group', 'my-rg', '--workspace-name', 'my-ws', '--query', 'name', '-o', 'tsv']);
    expect(long.stdout.trim()).toBe('iris-onnx');
    await ok(['batch-endpoint', 'create', '--name', 'doomed', '--no-wait', '-g', 'my-rg', '-w', 'my-ws', '-o', 'none']);
    const deleted = await ok(['batch-endpoint', 'delete', '-n', 'doomed', '--yes', '--no-wait', '-g', 'my-rg', '-w', 'my-ws']);
    expect(deleted.stderr).toContain("Batch endpoint 'doomed' deleted.");
  });

  it("--query reads az ml's names (status, scoring_uri, defaults.deployment_name, a model's version) beside the ARM ones", async () => {
    const uri = await ok(['batch-endpoint', 'show', '-n', 'iris-cli', '--query', 'scoring_uri', '-o', 'tsv']);
    expect(uri.stdout.trim()).toBe(`${app.host.url}/api/batchEndpoints/iris-cli/jobs`);
    const dflt = await ok(['batch-endpoint', 'show', '-n', 'iris-cli', '--query', 'defaults.deployment_name', '-o', 'tsv']);
    expect(dflt.stdout.trim()).toBe('iris-onnx');
    const version = await ok(['model', 'create', '--name', 'habit-model', '--path', `${ds}/samples/iris/model`, '--type', 'mlflow_model', '--query', 'version', '-o', 'tsv']);
    expect(version.stdout.trim()).toBe('1');
    const path = await ok(['model', 'show', '-n', 'habit-model', '--version', '1', '--query', 'path', '-o', 'tsv']);
    expect(path.stdout.trim()).toBe(`${ds}/samples/iris/model`);
    const versions = await ok(['model', 'list', '-n', 'habit-model', '--query', '[].version', '-o', 'tsv']);
    expect(versions.stdout.trim()).toBe('1');
    // The ARM names still work.
    const rest = await ok(['batch-endpoint', 'show', '-n', 'iris-cli', '--query', 'properties.defaults.deploymentName', '-o', 'tsv']);
    expect(rest.stdout.trim()).toBe('iris-onnx');
    // Azure ML's sample scripts: JOB_NAME=$(az ml batch-endpoint invoke ... --query name -o tsv), then poll --query status.
    const job = (await ok(['batch-endpoint', 'invoke', '-n', 'iris-cli', '--input', `${ds}/samples/iris/data/iris-part-1.csv`, '--input-type', 'uri_file', '--query', 'name', '-o', 'tsv'])).stdout.trim();
    expect(job).toMatch(/^batchjob-/);
    let status = '';
    for (let i = 0; i < 600 && !['Completed', 'Failed', 'Canceled'].includes(status); i++) {
      status = (await ok(['job', 'show', '-n', job, '--query', 'status', '-o', 'tsv'])).stdout.trim();
      expect(status, 'az ml job show --query status prints the status').not.toBe('');
      if (status !== 'Completed') await new Promise((r) => setTimeout(r, 300));
    }
    expect(status).toBe('Completed');
    const listed = await ok(['job', 'list', '--query', "[?status=='Completed'].name", '-o', 'tsv']);
    expect(listed.stdout.trim().split('\n')).toContain(job);
    // A multi-select mixes them; whole resources print in the service's shape.
    const picked = await ok(['job', 'list', '-e', 'iris-cli', '--query', '[].{name:name, status:status, mb:properties.miniBatchSize}']);
    expect(JSON.parse(picked.stdout)).toContainEqual({ name: job, status: 'Completed', mb: 2 });
    const whole = JSON.parse((await ok(['job', 'list', '-e', 'iris-cli', '--query', "[?status=='Completed'] | [0]"])).stdout);
    expect(whole.properties.status).toBe('Completed');
    expect(whole).not.toHaveProperty('status');
    const both = await ok(['model', 'show', '-n', 'habit-model', '--version', '1', '--query', '{name:name, version:version}']);
    expect(JSON.parse(both.stdout)).toEqual({ name: '1', version: '1' }); // ARM's name where both have one
  });

  it('-o table: model and data lists show each asset with its latest version; show/create use the same columns as list', async () => {
    const models = await ok(['model', 'list', '-o', 'table']);
    const lines = models.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^Name\s+Version\s+Type\s+Uri$/);
    expect(lines.find((l) => l.startsWith('iris-cli-model '))).toMatch(/^iris-cli-model\s+1$/);
    expect(models.stdout).not.toMatch(/^api\s/m);
    const model = await ok(['model', 'show', '-n', 'iris-cli-model', '--version', '1', '-o', 'table']);
    expect(model.stdout.split('\n')[2]).toMatch(/^iris-cli-model\s+1\s+mlflow_model\s+azureml:\/\//);
    const dep = await ok(['batch-deployment', 'show', '-n', 'iris-onnx', '-e', 'iris-cli', '-o', 'table']);
    expect(dep.stdout.split('\n')[0]).toMatch(/^Name\s+Model\s+MiniBatchSize\s+InstanceCount\s+OutputAction$/);
    expect(dep.stdout.split('\n')[2]).toMatch(/^iris-onnx\s+azureml:iris-cli-model:1\s+2\s+1\s+AppendRow$/);
    const store = await ok(['datastore', 'show', '-n', 'workspaceblobstore', '-o', 'table']);
    expect(store.stdout.split('\n')[0]).toMatch(/^Name\s+Account\s+Container\s+IsDefault$/);
  });

  it('batch-deployment update --set with the legacy root-level keys of deployment-legacy.yml (mini_batch_size, instance_count)', async () => {
    const updated = await ok(['batch-deployment', 'update', '-n', 'iris-onnx', '-e', 'iris-cli', '--set', 'mini_batch_size=5', 'instance_count=2', 'retry_settings.max_retries=1']);
    const p = JSON.parse(updated.stdout).properties;
    expect(p).toMatchObject({ miniBatchSize: 5, resources: { instanceCount: 2 }, retrySettings: { maxRetries: 1, timeout: 'PT60S' }, maxConcurrencyPerInstance: 2 });
  });

  it('job stream: a failed attempt that will be retried is shown as that attempt, the mini-batch as failed only when its attempts are used up', async () => {
    // The sample script reads CSV only: on the folder the JSONL and Parquet files fail every attempt.
    await ok(['batch-deployment', 'create', '-f', join(samples, 'deployment.yml'),
      '--set', 'model=azureml:iris-cli-model:1', `code_configuration.code=${ds}/samples/iris/score`, 'settings.retry_settings.max_retries=1', 'settings.mini_batch_size=2', 'settings.max_concurrency_per_instance=1']);
    const run = await azmlb(['batch-endpoint', 'invoke', '-n', 'iris-cli', '-d', 'iris-script', '--input', `${ds}/samples/iris/data/`, '--stream', '-o', 'none']);
    expect(run.code, run.stderr).toBe(0); // error_threshold -1: failed items do not fail the job
    // One at a time: mini-batch 0 (two CSV files) succeeds; 1 (CSV + JSONL) fails both attempts, and
    // is counted failed in the progress; then 2 (Parquet) fails its first attempt, and the stream,
    // reading the errors, sees it between its attempts (1.5 s).
    expect(run.stderr).toMatch(/mini-batch 2 attempt 1 of 2 failed: \(RunFailed\) .*iris\.parquet: missing column/);
    expect(run.stderr).not.toMatch(/mini-batch \d failed after 1 attempt/);
    expect(run.stderr).toMatch(/mini-batch 1 failed after 2 attempt\(s\): \(RunFailed\) /);
    expect(run.stderr).toMatch(/mini-batch 2 failed after 2 attempt\(s\): \(RunFailed\) .*iris\.parquet/);
    expect(run.stderr).toMatch(/Completed\. Mini-batches 1 succeeded, 2 failed/);
  });

  it('invoke on an endpoint without a default deployment says how to pick or set one with the CLI', async () => {
    await ok(['batch-endpoint', 'create', '--name', 'no-default', '-o', 'none']);
    const run = await azmlb(['batch-endpoint', 'invoke', '-n', 'no-default', '--input', `${ds}/samples/iris/data/`]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("ERROR: (NoDefaultDeployment) Batch endpoint 'no-default' has no default deployment: pick one with -d <deployment>");
    expect(run.stderr).toContain("'azmlb batch-endpoint update -n no-default --set defaults.deployment_name=<deployment>'");
  });

  it('YAML: a missing required key says "is required" (not zod\'s "Invalid input"); a pipeline deployment gets one line, not one per pipeline key', async () => {
    const noModel = join(work, 'no-model.yml');
    writeFileSync(noModel, 'name: no-model\nendpoint_name: iris-cli\ntype: model\n');
    const missing = await azmlb(['batch-deployment', 'create', '-f', noModel]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`ERROR: Invalid batch deployment:\n  ${noModel}: model is required\n`);
    const pipeline = join(work, 'pipeline.yml');
    writeFileSync(pipeline, 'name: hello-batch\nendpoint_name: iris-cli\ntype: pipeline\ncomponent: azureml:hello_batch@latest\nsettings:\n  default_compute: batch-cluster\n');
    const refused = await azmlb(['batch-deployment', 'create', '-f', pipeline]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(`ERROR: Invalid batch deployment:\n  ${pipeline}:3: type pipeline: pipeline deployments do not apply here; batch deployments here score a model (type: model).\n`);
  });

  it("job show --web prints the job's studio page (az ml opens ml.azure.com's), a page the app serves", async () => {
    const job = (await ok(['batch-endpoint', 'invoke', '-n', 'iris-cli', '--input', `${ds}/samples/iris/data/iris-part-2.csv`, '--input-type', 'uri_file', '--query', 'name', '-o', 'tsv'])).stdout.trim();
    const run = await ok(['job', 'show', '-n', job, '--web', '-o', 'none']);
    const url = `${app.host.url}/api/studio/endpoints/iris-cli/jobs/${job}`;
    expect(run.stderr.trim()).toBe(`Studio: ${url}`);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
  });
});
