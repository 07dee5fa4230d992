import { join } from 'node:path';
import type { AppClient } from './support/appClient';

/** The Iris sample as it is registered: where its files go and the management calls that make it. */
export const SAMPLE = {
  endpoint: 'iris',
  noCodeDeployment: 'iris-onnx',
  scriptDeployment: 'iris-script',
  blobPrefix: 'samples/iris',
  inputUri: 'azureml://datastores/workspaceblobstore/paths/samples/iris/data/',
};

/** Uploads the sample's model, scoring script and data to the workspace datastore. */
export async function uploadSampleFiles(client: AppClient, sampleDir: string): Promise<number> {
  let count = 0;
  for (const folder of ['model', 'score', 'data']) count += (await client.upload(`${SAMPLE.blobPrefix}/${folder}`, join(sampleDir, folder))).length;
  // The blob-drop containers, so a first drop has somewhere to go (Azure's are made by infra/).
  for (const name of ['batch-inbox', 'batch-outbox']) await client.blob.getContainerClient(name).createIfNotExists();
  return count;
}

/** Registers model, code, endpoint and its two deployments through the management API (idempotent). */
export async function registerSample(client: AppClient): Promise<void> {
  const ds = 'azureml://datastores/workspaceblobstore/paths';
  const put = (path: string, body: unknown, method = 'PUT') => client.apiOk(method, path, body, [409]);
  await put('models/iris/versions/1', {
    properties: { modelType: 'mlflow_model', modelUri: `${ds}/${SAMPLE.blobPrefix}/model`, description: 'Iris softmax regression (ONNX, MLflow layout)' },
  });
  await put('codes/iris-score/versions/1', { properties: { codeUri: `${ds}/${SAMPLE.blobPrefix}/score`, description: 'Iris scoring script' } });
  await put('data/iris-data/versions/1', { properties: { dataType: 'uri_folder', dataUri: SAMPLE.inputUri, description: 'Iris rows as CSV, Parquet and JSONL' } });
  await put(`batchEndpoints/${SAMPLE.endpoint}`, { properties: { description: 'Iris classifier' } });
  await put(`batchEndpoints/${SAMPLE.endpoint}/deployments/${SAMPLE.noCodeDeployment}`, {
    properties: { description: 'No-code ONNX scoring', model: 'azureml:iris:1', miniBatchSize: 2, resources: { instanceCount: 1 }, maxConcurrencyPerInstance: 2 },
  });
  await put(`batchEndpoints/${SAMPLE.endpoint}/deployments/${SAMPLE.scriptDeployment}`, {
    properties: {
      description: 'Scoring script',
      model: 'azureml:iris:1',
      codeConfiguration: { codeId: 'azureml:iris-score:1', scoringScript: 'score.js' },
      miniBatchSize: 2,
    },
  });
  await put(`batchEndpoints/${SAMPLE.endpoint}`, { properties: { defaults: { deploymentName: SAMPLE.noCodeDeployment } } }, 'PATCH');
}
