import type { TableClient } from '@azure/data-tables';
import type { Caller } from '../../../lib/auth/caller';
import type { CreateJobDeps } from '../../../lib/jobs/createJob';
import { IdempotencyStore } from '../../../lib/jobs/idempotency';
import { JobStore } from '../../../lib/jobs/jobStore';
import { OutputClaims } from '../../../lib/jobs/outputClaims';
import { openRegistry } from '../../../lib/registry/open';
import type { StorageClients } from '../../../lib/storage/clients';

/**
 * What createJob needs, every part real: a registry (`<prefix>reg`, workspace container
 * `<prefix>ws`) with endpoint `endpoint` whose default deployment `blue` serves the ONNX model, and
 * the jobs, request-id claims and output claims in `jobsTable`. The orchestration start is the test's.
 */
export async function invokeDeps(clients: StorageClients, prefix: string, endpoint: string, jobsTable: TableClient, caller: Caller) {
  const registry = openRegistry(clients, { table: `${prefix}reg`, workspaceBlobContainer: `${prefix}ws` });
  await clients.blob.getContainerClient(`${prefix}ws`).createIfNotExists();
  await registry.models.put('onnx', '1', { properties: { modelType: 'mlflow_model', modelUri: 'azureml://datastores/workspaceblobstore/paths/onnx/' } }, caller);
  await registry.endpoints.put(endpoint, { properties: {} }, caller);
  await registry.deployments.put(endpoint, 'blue', { properties: { model: 'azureml:onnx:1' } }, caller);
  await registry.endpoints.patch(endpoint, { properties: { defaults: { deploymentName: 'blue' } } }, caller);
  const jobs = new JobStore(jobsTable);
  const deps: Omit<CreateJobDeps, 'startOrchestration'> = {
    registry,
    jobs,
    idempotency: new IdempotencyStore(jobsTable),
    outputClaims: new OutputClaims(jobsTable),
    data: { registry, blob: clients.blob },
    now: () => new Date(),
  };
  return { deps, jobs };
}
