import type { Command } from 'commander';
import { enc, INVOKE, MANAGE, READ } from '../client';
import { action, type Context } from '../context';
import { invokeBody, type InvokeFlags } from '../invokeSpec';
import { CliError, EXIT } from '../errors';
import { formatResult } from '../output';
import { endpointBody, endpointYamlOf } from '../specs/endpoint';
import { streamJob } from '../stream';
import { endpointRow, jobRow } from '../views';
import { applySets, specOf, type YamlSpec } from '../yamlFile';
import { deepMerge, defined, leaf, required, withSpecOptions } from './shared';

interface SpecFlags {
  name?: string;
  file?: string;
  set?: string[];
}

async function putEndpoint(ctx: Context, spec: YamlSpec, nameFlag: string | undefined): Promise<unknown> {
  const { name, body, ignored } = endpointBody(spec);
  const endpoint = required(nameFlag ?? name, 'The endpoint name (--name or name: in the file)');
  if (ignored.length) ctx.note(`Note: ${ignored.join(', ')} does not apply here; ignored.`);
  return (await ctx.client.request('PUT', `batchEndpoints/${enc(endpoint)}`, { roles: MANAGE, body })).body;
}

export function registerEndpointCommands(program: Command): void {
  const group = program.command('batch-endpoint').description('Manage batch endpoints and start jobs');

  withSpecOptions(leaf(group, 'create', 'Create (or replace) a batch endpoint from YAML'))
    .option('-n, --name <name>', 'endpoint name (overrides name: in the file)')
    .action(action<SpecFlags>((o, ctx) => putEndpoint(ctx, specOf(o.file, o.set), o.name), endpointRow));

  withSpecOptions(leaf(group, 'update', 'Update a batch endpoint: the file and --set on top of the current one'))
    .option('-n, --name <name>', 'endpoint name')
    .action(
      action<SpecFlags>(async (o, ctx) => {
        const spec = specOf(o.file, undefined);
        const name = required(o.name ?? (spec.data['name'] as string | undefined), 'The endpoint name (--name or name: in the file)');
        const current = (await ctx.client.request('GET', `batchEndpoints/${enc(name)}`, { roles: READ })).body;
        spec.data = deepMerge(endpointYamlOf(current), spec.data);
        return putEndpoint(ctx, { ...spec, data: defined(applySets(spec.data, o.set)) }, name);
      }, endpointRow),
    );

  leaf(group, 'show', 'Show a batch endpoint')
    .requiredOption('-n, --name <name>', 'endpoint name')
    .action(action<{ name: string }>(async (o, ctx) => (await ctx.client.request('GET', `batchEndpoints/${enc(o.name)}`, { roles: READ })).body, endpointRow));

  leaf(group, 'list', 'List batch endpoints').action(action(async (_o, ctx) => ctx.client.list('batchEndpoints'), endpointRow));

  leaf(group, 'delete', 'Delete a batch endpoint and its deployments')
    .requiredOption('-n, --name <name>', 'endpoint name')
    .option('-y, --yes', 'do not prompt (az compatibility; this CLI never prompts)')
    .action(
      action<{ name: string }>(async (o, ctx) => {
        const res = await ctx.client.request('DELETE', `batchEndpoints/${enc(o.name)}`, { roles: MANAGE });
        ctx.note(res.status === 204 ? `Batch endpoint '${o.name}' did not exist.` : `Batch endpoint '${o.name}' deleted.`);
        return undefined;
      }),
    );

  leaf(group, 'list-jobs', 'List the jobs of a batch endpoint, newest first')
    .requiredOption('-n, --name <name>', 'endpoint name')
    .option('--top <n>', 'at most this many jobs')
    .action(action<{ name: string; top?: string }>(async (o, ctx) => ctx.client.list(`batchEndpoints/${enc(o.name)}/jobs`, READ, o.top ? Number(o.top) : Infinity), jobRow));

  leaf(group, 'invoke', 'Start a batch scoring job')
    .requiredOption('-n, --name <name>', 'endpoint name')
    .option('-d, --deployment-name <name>', "deployment to run (default: the endpoint's default)")
    .option('--input <uri|asset|path>', 'the data: a URI, a data asset (azureml:<name>:<version>) or a local file or folder (uploaded first)')
    .option('--input-type <type>', 'uri_folder or uri_file (default: the data asset\'s type, else uri_folder)')
    .option('-f, --file <yaml>', 'inputs and outputs in Azure ML\'s YAML (literal inputs too)')
    .option('--set <assignments...>', 'inputs.X.type=..., inputs.X.path=..., output_file_name=..., outputs.score.path=...')
    .option('--mini-batch-size <n>', 'files per mini-batch for this job')
    .option('--instance-count <n>', 'instances for this job')
    .option('--output-path <uri>', 'folder the output file is written to (azureml://datastores/<ds>/paths/<p>)')
    .option('--experiment-name <name>', 'experiment the job belongs to')
    .option('--job-name <name>', "the job's display name (also its idempotency key: the same name gives the same job, never a second)")
    .option('--stream', 'follow the job until it ends (exit code 0 only when Completed)')
    .action(
      action<InvokeFlags & { name: string; deploymentName?: string; set?: string[]; stream?: boolean }>(async (o, ctx) => {
        const { body, headers } = await invokeBody(ctx, o, specOf(o.file, o.set));
        if (o.deploymentName) headers['azureml-model-deployment'] = o.deploymentName;
        const job = (
          await ctx.client.request('POST', `batchEndpoints/${enc(o.name)}/jobs`, { roles: INVOKE, body, headers }).catch((err: unknown) => {
            if (o.jobName && err instanceof CliError && err.code === 'IdempotencyKeyReused') {
              throw new CliError(`A job named '${o.jobName}' was already started with other inputs, flags or tags; pick another --job-name.`, EXIT.error, err.code);
            }
            // The service's message names the REST fields; say it in this CLI's terms.
            if (err instanceof CliError && err.code === 'NoDefaultDeployment') {
              throw new CliError(
                `Batch endpoint '${o.name}' has no default deployment: pick one with -d <deployment>, or make one the default with ` +
                  `'azmlb batch-endpoint update -n ${o.name} --set defaults.deployment_name=<deployment>' ('azmlb batch-deployment list -e ${o.name} -o table' lists them).`,
                err.exitCode,
                err.code,
              );
            }
            throw err;
          })
        ).body;
        if (!o.stream) return job;
        // The job first (as invoke prints it), then its progress; the exit code is the job's outcome.
        const text = formatResult(job, o.output, o.query, jobRow);
        if (text) process.stdout.write(`${text}\n`);
        await streamJob(ctx, o.name, job.name);
        return undefined;
      }, jobRow),
    );
}
