import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../support/devhost';
import { AppStack, startApp, samplesDir } from '../support/appHost';

// A client that follows the Logic Apps async pattern literally, with the request the sample
// workflow (samples/logic-app/invoke-and-wait) sends: POST, then GET the absolute Location,
// waiting Retry-After seconds each time, until an answer that is not 202.

const sampleDir = join(repoRoot, 'samples', 'logic-app');
const workflow = (name: string) => JSON.parse(readFileSync(join(sampleDir, name, 'workflow.json'), 'utf8')).definition;
const invokeAction = () => workflow('invoke-and-wait').actions.Invoke_batch_endpoint;

let app: AppStack;
beforeAll(async () => {
  app = await startApp();
  await app.deploy({ endpoint: 'iris', deployment: 'onnx', modelFolder: join(samplesDir, 'model'), settings: { miniBatchSize: 2 } });
  await app.upload('logicapp/data', join(samplesDir, 'data'));
});
afterAll(async () => {
  await app?.stop();
});

/** The sample's template expressions, as the Logic Apps runtime would fill them for this run. */
function evaluate(text: string, values: Record<string, string>): string {
  return text.replace(/@\{([^}]+)\}/g, (_, expr: string) => {
    if (!(expr in values)) throw new Error(`the test does not know the expression ${expr}`);
    return values[expr]!;
  });
}
const fill = (value: unknown, values: Record<string, string>): unknown =>
  typeof value === 'string' ? evaluate(value, values) : Array.isArray(value) ? value.map((v) => fill(v, values)) : value && typeof value === 'object' ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, values)])) : value;

describe('the Logic Apps sample and its async pattern', () => {
  it('the workflows call the API with the managed identity and the App ID URI as audience, and trigger on _result.json', () => {
    const invoke = invokeAction();
    expect(invoke.type).toBe('Http');
    expect(invoke.inputs.authentication).toEqual({ type: 'ManagedServiceIdentity', audience: "@{parameters('batchApiAppIdUri')}" });
    expect(invoke.inputs.headers.Prefer).toBe('respond-async');
    // The async pattern is on (the default): no DisableAsyncPattern.
    expect(invoke.operationOptions ?? '').not.toMatch(/DisableAsyncPattern/);
    const read = workflow('invoke-and-wait').actions.Branch_on_job_status.actions.Read_predictions;
    expect(read.inputs.authentication.type).toBe('ManagedServiceIdentity');
    const trigger = workflow('on-drop-result').triggers.When_a_drop_result_appears;
    expect(trigger.inputs.parameters.path).toBe('batch-outbox/{dropPath}/_result.json');
  });

  it('POST, then GET Location honoring Retry-After until a non-202, ends with 200 and the completed job; the output is read', async () => {
    const action = invokeAction();
    const base = app.host.url;
    const values = {
      "parameters('batchApiBaseUrl')": base,
      "encodeUriComponent(triggerBody()?['endpoint'])": 'iris',
      "workflow()?['run']?['name']": `08585${Date.now()}`,
      "triggerBody()?['inputUri']": 'azureml://datastores/workspaceblobstore/paths/logicapp/data/',
    };
    // The managed identity's token for the API (locally: the local issuer's, with the role the README grants).
    const authorization = `Bearer ${await app.token(['BatchEndpoints.Invoke', 'BatchEndpoints.Read'], 'logic-app-identity')}`;
    const headers = { ...(fill(action.inputs.headers, values) as Record<string, string>), Authorization: authorization };
    let res = await fetch(evaluate(action.inputs.uri, values), { method: action.inputs.method, headers, body: JSON.stringify(fill(action.inputs.body, values)) });
    expect(res.status).toBe(202);
    let polls = 0;
    while (res.status === 202) {
      const location = res.headers.get('location');
      expect(location, 'a 202 carries Location').toBeTruthy();
      expect(() => new URL(location!)).not.toThrow(); // absolute, as Logic Apps requires
      const retryAfter = Number(res.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      await res.arrayBuffer();
      await new Promise((r) => setTimeout(r, retryAfter * 1000));
      res = await fetch(location!, { headers: { Authorization: authorization } });
      polls++;
      expect(polls).toBeLessThan(100);
    }
    expect(res.status).toBe(200);
    const job = (await res.json()) as any;
    expect(job.properties.status).toBe('Completed');
    expect(job.properties.progress).toMatchObject({ itemsFailed: 0 });
    // The workflow's branch: Completed -> read the predictions.
    const read = workflow('invoke-and-wait').actions.Branch_on_job_status.actions.Read_predictions;
    const outputUri = evaluate(read.inputs.uri.replace("@{body('Invoke_batch_endpoint')?['name']}", job.name), values);
    const output = await fetch(outputUri, { headers: { Authorization: authorization } });
    expect(output.status).toBe(200);
    expect((await output.text()).trim().split('\n').length).toBeGreaterThan(10);
  });

  it('the POST sent again while the first is still being handled (a lost answer: Logic Apps retry it) answers 202 with the same job, never 409', async () => {
    const action = invokeAction();
    const values = {
      "parameters('batchApiBaseUrl')": app.host.url,
      "encodeUriComponent(triggerBody()?['endpoint'])": 'iris',
      "workflow()?['run']?['name']": `08586${Date.now()}`,
      "triggerBody()?['inputUri']": 'azureml://datastores/workspaceblobstore/paths/logicapp/data/',
    };
    const authorization = `Bearer ${await app.token(['BatchEndpoints.Invoke', 'BatchEndpoints.Read'], 'logic-app-identity')}`;
    const headers = { ...(fill(action.inputs.headers, values) as Record<string, string>), Authorization: authorization };
    const post = () => fetch(evaluate(action.inputs.uri, values), { method: action.inputs.method, headers, body: JSON.stringify(fill(action.inputs.body, values)) });
    // A 409 is not retried by the HTTP action's default policy (408, 429, 5xx): the run would fail while its job runs.
    const answers = await Promise.all([post(), post(), post()]);
    const bodies = (await Promise.all(answers.map((a) => a.json()))) as any[];
    expect(answers.map((a) => a.status), JSON.stringify(bodies)).toEqual([202, 202, 202]);
    expect(new Set(bodies.map((b) => b.name)).size).toBe(1);
  });
});
