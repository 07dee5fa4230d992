import { z } from 'zod';

// Response shapes for the contract. Request bodies are the routes' own validation schemas; these
// describe what the routes answer (built by code, not parsed), loose where the body is open-ended.

export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string().describe('machine-readable error code, e.g. NotFound, InvalidInput'),
      message: z.string(),
      target: z.string().optional().describe('the field, header or parameter at fault'),
      details: z.array(z.object({ code: z.string(), message: z.string(), target: z.string().optional() })).optional(),
    }),
  })
  .meta({ id: 'ErrorResponse', description: 'Every error: { error: { code, message, target?, details? } }.' });

const systemDataSchema = z.looseObject({ createdBy: z.string().optional(), createdAt: z.string().optional(), lastModifiedAt: z.string().optional() });

/** An ARM-style resource: `id`, `name`, `type`, `properties`, `systemData`. */
export const resourceSchema = z
  .looseObject({ id: z.string(), name: z.string(), type: z.string(), properties: z.looseObject({}), systemData: systemDataSchema.optional() })
  .meta({ id: 'Resource', description: 'A resource (endpoint, deployment, asset version, datastore).' });

export const progressSchema = z
  .object({
    miniBatchesTotal: z.number(),
    miniBatchesSucceeded: z.number(),
    miniBatchesFailed: z.number(),
    miniBatchesRunning: z.number().optional(),
    miniBatchesPending: z.number(),
    itemsTotal: z.number(),
    itemsSucceeded: z.number(),
    itemsFailed: z.number(),
  })
  .meta({ id: 'JobProgress' });

export const JOB_STATUSES = ['NotStarted', 'Preparing', 'Running', 'Finalizing', 'CancelRequested', 'Completed', 'Failed', 'Canceled'] as const;

export const jobSchema = z
  .looseObject({
    id: z.string(),
    name: z.string().describe('the job id'),
    type: z.string(),
    properties: z.looseObject({
      status: z.enum(JOB_STATUSES).describe('final: Completed, Failed, Canceled'),
      endpointName: z.string(),
      deploymentName: z.string(),
      inputData: z.record(z.string(), z.unknown()),
      outputData: z.record(z.string(), z.looseObject({ jobOutputType: z.string(), uri: z.string() })),
      progress: progressSchema,
      error: z.looseObject({ code: z.string(), message: z.string() }).optional(),
      creationTime: z.string(),
      startTime: z.string().optional(),
      endTime: z.string().optional(),
    }),
    systemData: systemDataSchema.optional(),
  })
  .meta({ id: 'BatchJob', description: 'A batch job: Azure ML BatchJob properties plus progress.' });

export const listOf = (item: z.ZodType, id: string) =>
  z.object({ value: z.array(item), nextLink: z.string().optional().describe('the next page (absent on the last)') }).meta({ id });

export const miniBatchErrorSchema = z.looseObject({}).meta({ id: 'MiniBatchError', description: 'A failed mini-batch or item: index, files, error.' });

export const healthSchema = z.looseObject({ status: z.string() }).meta({ id: 'Health' });
