import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { ContainerClient } from '@azure/storage-blob';

/** The Iris sample as it is registered: where its files go and the management calls that make it. */
export const SAMPLE = {
  endpoint: 'iris',
  noCodeDeployment: 'iris-onnx',
  scriptDeployment: 'iris-script',
  blobPrefix: 'samples/iris',
  inputUri: 'azureml://datastores/workspaceblobstore/paths/samples/iris/data/',
};

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** Uploads the sample's model, scoring script and data to the workspace datastore's container. */
export async function uploadSampleFiles(container: ContainerClient, sampleDir: string): Promise<number> {
  await container.createIfNotExists();
  let count = 0;
  for (const folder of ['model', 'score', 'data']) {
    for (const file of await filesUnder(join(sampleDir, folder))) {
      const name = `${SAMPLE.blobPrefix}/${folder}/${relative(join(sampleDir, folder), file).split('\\').join('/')}`;
      const body = await readFile(file);
      await container.getBlockBlobClient(name).upload(body, body.length);
      count++;
    }
  }
  return count;
}

/** Registers model, code, endpoint and its two deployments through the management API (idempotent). */
export async function registerSample(baseUrl: string, token: string): Promise<void> {
  const ds = 'azureml://datastores/workspaceblobstore/paths';
  const put = async (path: string, body: unknown, method = 'PUT') => {
    const res = await fetch(`${baseUrl}/api/${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok && res.status !== 409) throw new Error(`${method} /api/${path} answered ${res.status}: ${await res.text()}`);
  };
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
