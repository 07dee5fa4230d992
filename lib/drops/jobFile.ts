import { z } from 'zod';
import { ApiError } from '../http/apiError';
import { JOB_FILE } from './dropPath';

/**
 * `_job.json`, optional in a drop folder: the deployment, per-job settings (the invoke body's
 * `properties` keys: `miniBatchSize`, `errorThreshold`, `retrySettings`, `outputFileName`, ...),
 * literal inputs and the output location. Example:
 * `{ "deployment": "blue", "miniBatchSize": 2, "inputs": { "threshold": 0.5 }, "output": { "uri": "azureml://datastores/x/paths/out/p.csv" } }`.
 * The settings are checked by the invoke itself, so they mean exactly what they mean there.
 */
export const jobFileSchema = z
  .object({
    deployment: z.string().min(1).max(255).optional(),
    inputs: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    output: z.strictObject({ uri: z.string().min(1).max(2048), type: z.enum(['UriFile', 'UriFolder']).optional() }).optional(),
  })
  .catchall(z.unknown())
  .meta({ id: 'DropJobFile', description: 'Optional _job.json of a blob drop.' });

export type JobFile = z.infer<typeof jobFileSchema>;

/** The name of the drop's data input in the job (what `run()` gets as files). */
export const DROP_INPUT_NAME = 'input_data';
export const DROP_OUTPUT_NAME = 'score';

/** Parses the text of `_job.json`; 400 `InvalidJobFile` naming the problem when it cannot be used. */
export function parseJobFile(text: string | undefined): JobFile {
  if (text === undefined) return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, 'InvalidJobFile', `${JOB_FILE} is not valid JSON: ${(err as Error).message}`, JOB_FILE);
  }
  const parsed = jobFileSchema.safeParse(json);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
    throw new ApiError(400, 'InvalidJobFile', `${JOB_FILE} cannot be used: ${why}.`, JOB_FILE);
  }
  for (const key of ['inputData', 'InputData', 'outputData', 'OutputData']) {
    if (key in parsed.data) throw new ApiError(400, 'InvalidJobFile', `${JOB_FILE}: '${key}' is set by the drop; use 'inputs' for literal inputs and 'output' for the output.`, JOB_FILE);
  }
  return parsed.data;
}

/** The invoke body for a drop: its folder or file as the data input, the job file's settings and inputs. */
export function invokeBodyOf(jobFile: JobFile, input: { type: 'UriFolder' | 'UriFile'; uri: string }, defaultOutputFolder: string): Record<string, unknown> {
  const { deployment: _deployment, inputs, output, ...settings } = jobFile;
  const inputData: Record<string, unknown> = { [DROP_INPUT_NAME]: { jobInputType: input.type, uri: input.uri } };
  for (const [name, value] of Object.entries(inputs ?? {})) inputData[name] = { jobInputType: 'Literal', value };
  // Without an output, `<outbox>/<endpoint>/<drop>/<outputFileName>`: a folder output is written as that.
  const outputData = { [DROP_OUTPUT_NAME]: output ? { jobOutputType: output.type ?? 'UriFile', uri: output.uri } : { jobOutputType: 'UriFolder', uri: defaultOutputFolder } };
  return { properties: { ...settings, inputData, outputData } };
}
