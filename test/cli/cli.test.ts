import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppStack, repoRoot } from '../../scripts/support/appStack';
import { samplesDir, startApp } from '../support/appHost';

// The CLI run as a subprocess (`node dist/cli/main.js`, what `npx azmlb` runs) against the real
// app in devhost on Azurite, with the local issuer. Azure ML YAML from samples/cli/.

const main = join(repoRoot, 'dist', 'cli', 'main.js');
const samples = join(repoRoot, 'samples', 'cli');
const fixtures = join(repoRoot, 'test', 'fixtures', 'scripts', 'e2e');
const ds = 'azureml://datastores/workspaceblobstore/paths';

let app: AppStack;
let env: Record<string, string>;
let work: string;
/** Why the upload tests are skipped, or '' when the service has the pending-upload route. */
let noUploads = '';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  json: any;
}

/** Runs the CLI; resolves with its exit code and output (never throws on a non-zero exit). */
function azmlb(args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [main, ...args], { cwd: repoRoot, env: { ...process.env, ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => {
      let json: any;
      try {
        json = stdout.trim() ? JSON.parse(stdout) : undefined;
      } catch {
        json = undefined;
      }
      resolve({ code, stdout, stderr, json });
    });
  });
}

/** Runs the CLI and expects exit 0 (the output in the failure message otherwise). */
async function ok(args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
  const run = await azmlb(args, extraEnv);
  expect(run.code, `azmlb ${args.join(' ')}\n${run.stdout}\n${run.stderr}`).toBe(0);
  return run;
}

/** Runs the CLI in a pseudo-terminal (`script`), as a person at a terminal sees it. */
function inTerminal(args: string[]): { code: number | null; screen: string } {
  const command = ['stty cols 160;', process.execPath, main, ...args].map((a) => (a.endsWith(';') ? a : `'${a}'`)).join(' ');
  const res = spawnSync('script', ['-q', '-e', '-c', command, '/dev/null'], { cwd: repoRoot, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 });
  return { code: res.status, screen: res.stdout };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'azmlb-'));
  const issuerDir = join(work, 'issuer');
  // The issuer's folder is known: the CLI signs local tokens there (or the app's local sign-in does).
  app = await startApp({ LOCAL_ISSUER_DIR: issuerDir }, { issuerDir });
  env = { AZMLB_CONFIG_DIR: join(work, 'config'), LOCAL_ISSUER_DIR: issuerDir, AZMLB_POLL_MS: '200', AZMLB_URL: '' };
  // The data and the fixtures' code are put in place directly: these tests are about the CLI.
  await app.upload('samples/iris/model', join(samplesDir, 'model'));
  await app.upload('samples/iris/data', join(samplesDir, 'data'));
  await app.upload('fixtures/slow', join(fixtures, 'slow'));
  await app.upload('fixtures/returns', join(fixtures, 'returns'));
  await app.upload('fixtures/chatty', join(fixtures, 'chatty'));
  await app.upload('fixtures/model', join(fixtures, 'model'));
  const probe = await app.api('POST', 'models/probe/versions/1/startPendingUpload', { pendingUploadType: 'TemporaryBlobReference' });
  if (probe.status === 404 || probe.status === 405) noUploads = `the service has no startPendingUpload route yet (answered ${probe.status}; issue 9, branch wip/compat)`;
  await ok(['configure', '--url', app.host.url]);
}, 180_000);

afterAll(async () => {
  await app?.stop();
});

describe('connection, output and errors', () => {
  it('configure saves the URL; later commands use it, with a local token carrying only the role they need', async () => {
    const saved = JSON.parse(readFileSync(join(env.AZMLB_CONFIG_DIR!, 'config.json'), 'utf8'));
    expect(saved.url).toBe(app.host.url);
    const run = await ok(['datastore', 'list', '--debug']);
    expect(run.json.map((d: any) => d.name)).toContain('workspaceblobstore');
    expect(run.stderr).toContain(`GET ${app.host.url}/api/datastores`);
    expect(run.stderr).toMatch(/roles BatchEndpoints\.Read\b/);
    expect(run.stderr).not.toMatch(/Bearer|eyJ/); // the token is never printed
  });

  it('AZMLB_TOKEN is sent as given (a bad one shows the 401 code); a remote URL without a scope says how to set it', async () => {
    const bad = await azmlb(['batch-endpoint', 'list'], { AZMLB_TOKEN: 'not-a-token' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^ERROR: \(Unauthorized\) /);
    const remote = await azmlb(['batch-endpoint', 'list', '--url', 'https://batch.example.invalid']);
    expect(remote.code).toBe(1);
    expect(remote.stderr).toContain("No token scope for https://batch.example.invalid: set the API's App ID URI with 'azmlb configure --scope api://...' or AZMLB_SCOPE");
  });

  it('-o yaml|table|tsv and --query', async () => {
    const yaml = await ok(['datastore', 'show', '-n', 'workspaceblobstore', '-o', 'yaml']);
    expect(yaml.stdout).toMatch(/^name: workspaceblobstore$/m);
    const table = await ok(['datastore', 'list', '-o', 'table']);
    expect(table.stdout.split('\n')[0]).toMatch(/^Name\s+Account\s+Container\s+IsDefault$/);
    expect(table.stdout).toMatch(/workspaceblobstore .* true/);
    const tsv = await ok(['datastore', 'show', '-n', 'workspaceblobstore', '--query', 'properties.isDefault', '-o', 'tsv']);
    expect(tsv.stdout).toBe('true\n');
    const bad = await azmlb(['datastore', 'list', '--query', '[?name=='], {});
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^ERROR: --query/);
  });

  it("prints the service's error code and message, exit 3 for not found, never a stack", async () => {
    const run = await azmlb(['batch-endpoint', 'show', '-n', 'no-such-endpoint']);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe("ERROR: (NotFound) Batch endpoint 'no-such-endpoint' was not found.\n");
    const usage = await azmlb(['batch-endpoint', 'show']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^ERROR: required option '-n, --name <name>' not specified/);
    const down = await azmlb(['batch-endpoint', 'list', '--url', 'http://127.0.0.1:9']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^ERROR: Cannot reach http:\/\/127\.0\.0\.1:9/);
    expect(down.stderr).not.toMatch(/\n\s+at /);
  });

  it('bad YAML: the file and line number, exit 2; an unknown key names its line too', async () => {
    const broken = join(work, 'broken.yml');
    writeFileSync(broken, 'name: bad-endpoint\ndescription: fine\ntags:\n  team: a\n   owner: b\n');
    const run = await azmlb(['batch-endpoint', 'create', '-f', broken]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`ERROR: ${broken}:4:9: invalid YAML: Nested mappings are not allowed in compact mappings\n    team: a\n          ^\n`);
    const unknown = join(work, 'unknown.yml');
    writeFileSync(unknown, 'name: bad-deployment\nendpoint_name: x\nmodel: azureml:m:1\nsettings:\n  mini_batch_size: 2\n  mini_batch_sise: 3\n');
    const run2 = await azmlb(['batch-deployment', 'create', '-f', unknown]);
    expect(run2.code).toBe(2);
    expect(run2.stderr).toContain(`${unknown}:6: settings.mini_batch_sise is not a batch deployment key`);
  });
});

describe('resources from Azure ML YAML', () => {
  it('azmlb --version prints the package version; a command\'s own --version is still its option', async () => {
    const version = await ok(['--version']);
    expect(version.stdout.trim()).toBe(`azmlb ${JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version}`);
    await ok(['model', 'create', '--name', 'version-flag', '--version', '3', '--path', `${ds}/samples/iris/model`, '--type', 'mlflow_model']);
    // After the options and before them: both are the model's version.
    const shown = await ok(['model', 'show', '-n', 'version-flag', '--version', '3']);
    expect(shown.json.name).toBe('3');
    expect((await ok(['model', 'show', '--version', '3', '-n', 'version-flag'])).json.name).toBe('3');
  });

  it('model, endpoint, and the legacy root-level deployment with --set-default', async () => {
    const model = await ok(['model', 'create', '--name', 'iris-cli-model', '--path', `${ds}/samples/iris/model`, '--type', 'mlflow_model']);
    expect(model.json.name).toBe('1');
    const endpoint = await ok(['batch-endpoint', 'create', '-f', join(samples, 'endpoint.yml')]);
    expect(endpoint.json.properties).toMatchObject({ description: expect.stringContaining('Iris classifier'), authMode: 'AADToken' });
    const dep = await ok(['batch-deployment', 'create', '-f', join(samples, 'deployment-legacy.yml'), '--set-default']);
    expect(dep.json.properties).toMatchObject({
      model: { assetId: 'azureml:iris-cli-model:1' },
      miniBatchSize: 2,
      maxConcurrencyPerInstance: 2,
      retrySettings: { maxRetries: 2, timeout: 'PT60S' },
    });
    expect(dep.stderr).toContain('Note: compute does not apply here');
    const shown = await ok(['batch-endpoint', 'show', '-n', 'iris-cli', '--query', 'properties.defaults.deploymentName', '-o', 'tsv']);
    expect(shown.stdout.trim()).toBe('iris-onnx');
  });

  it('the type: model deployment with compute: and environment: (remote code via --set), then update --set', async () => {
    const dep = await ok([
      'batch-deployment', 'create', '-f', join(samples, 'deployment.yml'),
      '--set', 'model=azureml:iris-cli-model:1', `code_configuration.code=${ds}/fixtures/slow`, '--set', 'name=slow',
    ]);
    expect(dep.stderr).toContain('Note: compute, environment do not apply here');
    expect(dep.json.properties).toMatchObject({ miniBatchSize: 2, maxConcurrencyPerInstance: 2, retrySettings: { maxRetries: 3, timeout: 'PT30S' } });
    expect(dep.json.properties.codeConfiguration.codeId).toMatch(/^azureml:slow-code:[0-9a-f]{12}$/);
    const updated = await ok(['batch-deployment', 'update', '-e', 'iris-cli', '-n', 'slow', '--set', 'settings.mini_batch_size=1', 'settings.error_threshold=0']);
    expect(updated.json.properties).toMatchObject({ miniBatchSize: 1, errorThreshold: 0, maxConcurrencyPerInstance: 2, codeConfiguration: dep.json.properties.codeConfiguration });
    const list = await ok(['batch-deployment', 'list', '-e', 'iris-cli', '--query', '[].name']);
    expect(list.json).toEqual(['iris-onnx', 'slow']);
  });

  it('data and datastore from YAML', async () => {
    const data = await ok(['data', 'create', '-f', join(samples, 'data.yml')]);
    expect(data.json.properties).toMatchObject({ dataType: 'uri_folder', dataUri: `${ds}/samples/iris/data/` });
    const store = await ok(['datastore', 'create', '-f', join(samples, 'datastore.yml')]);
    expect(store.json.properties).toMatchObject({ accountName: 'mystorageaccount', containerName: 'scoring-inputs' });
    const shown = await ok(['data', 'show', '-n', 'iris-cli-data', '--label', 'latest', '--query', 'properties.dataType', '-o', 'tsv']);
    expect(shown.stdout.trim()).toBe('uri_folder');
  });
});

describe('invoke, stream, download, cancel', () => {
  let completedJob = '';

  it('invoke --input <URI> --stream: the live progress bar in a terminal, exit 0 on Completed', async () => {
    const { code, screen } = inTerminal(['batch-endpoint', 'invoke', '-n', 'iris-cli', '--input', `${ds}/samples/iris/data/`, '--mini-batch-size', '1', '--stream', '-o', 'table']);
    expect(code, screen).toBe(0);
    expect(screen).toMatch(/Streaming job (batchjob-\S+) \(endpoint iris-cli\)/);
    completedJob = /Streaming job (batchjob-\S+)/.exec(screen)![1]!;
    // The bar (cli-progress redraws it in place with ANSI codes) and its counters.
    expect(screen).toContain('\x1b[');
    expect(screen).toMatch(/█+ 100% \| mini-batches 5\/5 \| items 5 ok, 0 failed of 5 \| \d+\.\d items\/s \| ETA 0s/);
    expect(screen).toMatch(/\d\d:\d\d:\d\d Completed \(deployment iris-onnx\)/);
    expect(screen).toContain(`Job ${completedJob}: Completed. Mini-batches 5 succeeded, 0 failed; items 5 succeeded, 0 failed of 5.`);
  });

  it('job show / list, and download compares byte for byte; an interrupted download resumes', async () => {
    expect((await ok(['job', 'show', '-n', completedJob, '--query', 'properties.status', '-o', 'tsv'])).stdout).toBe('Completed\n');
    const listed = await ok(['batch-endpoint', 'list-jobs', '-n', 'iris-cli', '--query', '[].name']);
    expect(listed.json).toContain(completedJob);
    const expected = (await app.api('GET', `batchEndpoints/iris-cli/jobs/${completedJob}/output`)).body as string;
    expect(expected.split('\n').filter(Boolean).length).toBeGreaterThan(100);
    const dir = join(work, 'download');
    await ok(['job', 'download', '-n', completedJob, '--output-name', 'score', '--download-path', dir]);
    const file = join(dir, 'named-outputs', 'score', 'predictions.csv');
    expect(readFileSync(file)).toEqual(Buffer.from(expected));
    // Interrupted after 100 bytes (marked so the resumed bytes can be told from fresh ones).
    const resumeDir = join(work, 'resume');
    mkdirSync(join(resumeDir, 'named-outputs', 'score'), { recursive: true });
    writeFileSync(join(resumeDir, 'named-outputs', 'score', 'predictions.csv.partial'), 'X'.repeat(100));
    const resumed = await ok(['job', 'download', '-n', completedJob, '--download-path', resumeDir, '--debug'], { AZMLB_DOWNLOAD_CHUNK_BYTES: '1000' });
    expect(resumed.stderr).toContain('"range":"bytes=100-1099"');
    expect(resumed.stderr).not.toContain('"range":"bytes=0-');
    const got = readFileSync(join(resumeDir, 'named-outputs', 'score', 'predictions.csv'), 'utf8');
    expect(got).toBe('X'.repeat(100) + expected.slice(100));
    expect(existsSync(join(resumeDir, 'named-outputs', 'score', 'predictions.csv.partial'))).toBe(false);
  });

  it('invoke --input <data asset> takes the asset\'s type; --set inputs.X and output_file_name; -d picks the deployment', async () => {
    const asset = await ok(['batch-endpoint', 'invoke', '-n', 'iris-cli', '--input', 'azureml:iris-cli-data:1']);
    expect(asset.json.properties.inputData).toEqual({ input_data: { jobInputType: 'UriFolder', uri: 'azureml:iris-cli-data:1' } });
    const set = await ok([
      'batch-endpoint', 'invoke', '-n', 'iris-cli', '-d', 'iris-onnx',
      '--set', 'inputs.heart.type=uri_file', `inputs.heart.path=${ds}/samples/iris/data/iris-part-1.csv`, '--set', 'output_file_name=out.csv',
      '--experiment-name', 'cli-tests', '--instance-count', '2',
    ]);
    expect(set.json.properties).toMatchObject({
      deploymentName: 'iris-onnx',
      inputData: { heart: { jobInputType: 'UriFile', uri: `${ds}/samples/iris/data/iris-part-1.csv` } },
      outputFileName: 'out.csv',
      instanceCount: 2,
      experimentName: 'cli-tests',
    });
    const done = await app.waitForJob('iris-cli', set.json.name);
    expect(done.properties.outputData.score.uri).toMatch(/\/out\.csv$/);
    expect(done.properties.status).toBe('Completed');
  });

  it('invoke --file inputs.yml: data and literal inputs typed as Azure ML types them; --job-name gives the same job again', async () => {
    const first = await ok(['batch-endpoint', 'invoke', '-n', 'iris-cli', '-f', join(samples, 'inputs.yml'), '--job-name', 'cli-job-1']);
    expect(first.json.properties.inputData).toEqual({
      iris_data: { jobInputType: 'UriFolder', uri: `${ds}/samples/iris/data/` },
      threshold: { jobInputType: 'Literal', value: '0.7' },
      label: { jobInputType: 'Literal', value: 'setosa' },
      max_rows: { jobInputType: 'Literal', value: '100' },
    });
    expect(first.json.properties.outputData.score.uri).toBe(`${ds}/cli-samples/outputs/predictions.csv`);
    const again = await ok(['batch-endpoint', 'invoke', '-n', 'iris-cli', '-f', join(samples, 'inputs.yml'), '--job-name', 'cli-job-1']);
    expect(again.json.name).toBe(first.json.name);
    expect(first.json.properties.displayName).toBe('cli-job-1');
    const wrongType = join(work, 'wrong-type.yml');
    writeFileSync(wrongType, `inputs:\n  data:\n    type: uri_folder\n    path: ${ds}/x/\n  n:\n    type: integer\n    default: abc\n`);
    const bad = await azmlb(['batch-endpoint', 'invoke', '-n', 'iris-cli', '-f', wrongType]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`${wrongType}:5: inputs.n is declared integer but its value is 'abc'`);
  });

  it('job cancel: a running job ends Canceled, and job stream exits 1 with the reason', async () => {
    const slowInputs = join(work, 'slow.yml');
    writeFileSync(slowInputs, `inputs:\n  data:\n    type: uri_folder\n    path: ${ds}/samples/iris/data/\n  ms:\n    type: integer\n    default: 3000\n`);
    const job = await ok(['batch-endpoint', 'invoke', '-n', 'iris-cli', '-d', 'slow', '-f', slowInputs, '--query', 'name', '-o', 'tsv']);
    const name = job.stdout.trim();
    await app.waitUntil('the job running', async () => (await app.job('iris-cli', name)).properties.status === 'Running');
    const cancel = await ok(['job', 'cancel', '-n', name]);
    expect(cancel.stderr).toMatch(/Cancel of job .* requested \(status Cancel(Requested|ed)\)/);
    const stream = await azmlb(['job', 'stream', '-n', name]);
    expect(stream.code).toBe(1);
    expect(stream.stderr).toContain(`Job ${name}: Canceled.`);
    expect(stream.stderr).toMatch(/ERROR: \(\w+\) Job \S+ was canceled/);
  });

  it("invoke --stream prints what the scoring code logged, per mini-batch, as the logs appear", async () => {
    await ok(['batch-deployment', 'create', '-f', join(samples, 'deployment.yml'),
      '--set', 'name=chatty', 'model=azureml:iris-cli-model:1', `code_configuration.code=${ds}/fixtures/chatty`, 'settings.mini_batch_size=2']);
    const run = await ok(['batch-endpoint', 'invoke', '-n', 'iris-cli', '-d', 'chatty', '--input', `${ds}/samples/iris/data/`, '--stream', '-o', 'none']);
    for (const n of [0, 1, 2]) expect(run.stderr).toMatch(new RegExp(`\\[mini-batch-${n}\\] .*console\\.log mini-batch ${n}`));
    expect(run.stderr.match(/console\.log mini-batch 0/g)).toHaveLength(1); // each log printed once
    expect(run.stderr).toMatch(/Completed\. Mini-batches 3 succeeded/);
  });

  it('a failing job: job stream shows the failed mini-batches and the error, exit 1', async () => {
    await ok(['batch-deployment', 'create', '-f', join(samples, 'deployment.yml'),
      '--set', 'name=returns', 'model=azureml:iris-cli-model:1', `code_configuration.code=${ds}/fixtures/returns`,
      'settings.error_threshold=0', 'settings.retry_settings.max_retries=0', 'settings.mini_batch_size=5']);
    const job = await ok(['batch-endpoint', 'invoke', '-n', 'iris-cli', '-d', 'returns', '--set', 'inputs.data.type=uri_folder', `inputs.data.path=${ds}/samples/iris/data/`, 'inputs.returns=object', '--query', 'name', '-o', 'tsv']);
    const stream = await azmlb(['job', 'stream', '-n', job.stdout.trim(), '-e', 'iris-cli']);
    expect(stream.code).toBe(1);
    expect(stream.stderr).toMatch(/mini-batch 0 failed after 1 attempt\(s\)/);
    expect(stream.stderr).toMatch(/ERROR: \(ErrorThresholdExceeded\) Job \S+ failed: /);
  });
});

describe('uploads of local folders (pending-upload route)', () => {
  // The route is probed when the app has started (after collection), so the skip is decided in the test.
  it('model create uploads a local folder once (content-addressed)', async ({ skip }) => {
    skip(noUploads !== '', noUploads);
    const first = await ok(['model', 'create', '-f', join(samples, 'model.yml'), '--version', '5']);
    expect(first.json.properties.modelUri).toMatch(/^azureml:\/\/datastores\/workspaceblobstore\/paths\/LocalUpload\/[0-9a-f]{32}\/$/);
    const id = /LocalUpload\/([0-9a-f]{32})/.exec(first.json.properties.modelUri)![1]!;
    expect((await app.listWorkspaceBlobs(`LocalUpload/${id}/`)).sort()).toEqual([`LocalUpload/${id}/MLmodel`, `LocalUpload/${id}/README.md`, `LocalUpload/${id}/model.onnx`]);
    const again = await ok(['model', 'create', '-f', join(samples, 'model.yml'), '--version', '6']);
    expect(again.stderr).toContain('unchanged');
    expect(again.stderr).not.toContain('Uploading');
    expect(again.json.properties.modelUri).toBe(first.json.properties.modelUri);
    // An upload cut short (a file missing): the next run sends only what is missing.
    await app.workspace().getBlobClient(`LocalUpload/${id}/model.onnx`).delete();
    const resumed = await ok(['model', 'create', '-f', join(samples, 'model.yml'), '--version', '7', '--debug']);
    expect(resumed.stderr).toContain('sig=REDACTED'); // --debug shows the pending upload, not its SAS signature
    expect(resumed.stderr).not.toMatch(/sig=(?!REDACTED)/);
    expect(resumed.stderr).toContain('2 of 3 files already uploaded');
    expect(resumed.stderr).toMatch(/Uploading .* \(1 file, \d+ bytes\)/);
    const onnx = await app.workspace().getBlobClient(`LocalUpload/${id}/model.onnx`).downloadToBuffer();
    expect(onnx).toEqual(readFileSync(join(samplesDir, 'model', 'model.onnx')));
  });

  it('the sample deployment uploads its model and code folders, then scores; invoke --input <local folder>', async ({ skip }) => {
    skip(noUploads !== '', noUploads);
    const dep = await ok(['batch-deployment', 'create', '-f', join(samples, 'deployment.yml')]);
    expect(dep.json.properties.codeConfiguration.codeId).toMatch(/^azureml:iris-script-code:[0-9a-f]{12}$/);
    const job = await ok(['batch-endpoint', 'invoke', '-n', 'iris-cli', '-d', 'iris-script', '--input', join(samplesDir, 'data'), '--query', 'name', '-o', 'tsv']);
    const done = await app.waitForJob('iris-cli', job.stdout.trim());
    expect(done.properties.status).toBe('Completed');
    expect(done.properties.inputData.input_data.uri).toMatch(/LocalUpload\/[0-9a-f]{32}\/$/);
  });
});
