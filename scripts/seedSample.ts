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
  const uploaded = await Promise.all(['model', 'score', 'data'].map((folder) => client.upload(`${SAMPLE.blobPrefix}/${folder}`, join(sampleDir, folder))));
  // The blob-drop containers, so a first drop has somewhere to go (Azure's are made by infra/).
  await Promise.all(['batch-inbox', 'batch-outbox'].map((name) => client.blob.getContainerClient(name).createIfNotExists()));
  return uploaded.reduce((sum, names) => sum + names.length, 0);
}

/** Registers model, code, endpoint and its two deployments through the management API (idempotent). */
export async function registerSample(client: AppClient): Promise<void> {
  const ds = 'azureml://datastores/workspaceblobstore/paths';
  const put = (path: string, body: unknown, method = 'PUT') => client.apiOk(method, path, body, [409]);
  // Independent calls side by side (npm start waits for them): assets and the endpoint, then the
  // deployments that refer to them, then the default.
  await Promise.all([
    put('models/iris/versions/1', {
      properties: { modelType: 'mlflow_model', modelUri: `${ds}/${SAMPLE.blobPrefix}/model`, description: 'Iris softmax regression (ONNX, MLflow layout)' },
    }),
    put('codes/iris-score/versions/1', { properties: { codeUri: `${ds}/${SAMPLE.blobPrefix}/score`, description: 'Iris scoring script' } }),
    put('data/iris-data/versions/1', { properties: { dataType: 'uri_folder', dataUri: SAMPLE.inputUri, description: 'Iris rows as CSV, Parquet and JSONL' } }),
    put(`batchEndpoints/${SAMPLE.endpoint}`, { properties: { description: 'Iris classifier' } }),
  ]);
  await Promise.all([
    put(`batchEndpoints/${SAMPLE.endpoint}/deployments/${SAMPLE.noCodeDeployment}`, {
      properties: { description: 'No-code ONNX scoring', model: 'azureml:iris:1', miniBatchSize: 2, resources: { instanceCount: 1 }, maxConcurrencyPerInstance: 2 },
    }),
    put(`batchEndpoints/${SAMPLE.endpoint}/deployments/${SAMPLE.scriptDeployment}`, {
      properties: {
        description: 'Scoring script',
        model: 'azureml:iris:1',
        codeConfiguration: { codeId: 'azureml:iris-score:1', scoringScript: 'score.js' },
        miniBatchSize: 2,
      },
    }),
  ]);
  await put(`batchEndpoints/${SAMPLE.endpoint}`, { properties: { defaults: { deploymentName: SAMPLE.noCodeDeployment } } }, 'PATCH');
}
