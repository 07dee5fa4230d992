import { dirname } from 'node:path';
import type { Command } from 'commander';
import { parseAssetRef, registerAsset } from '../assets';
import { enc, MANAGE, READ } from '../client';
import { action, type Context } from '../context';
import { deploymentBody, deploymentYamlOf, ignoredKeys, parseDeployment, settingsSetPath } from '../specs/deployment';
import { deploymentRow, jobRow } from '../views';
import { applySets, specOf, type YamlSpec } from '../yamlFile';
import { deepMerge, defined, leaf, required, withSpecOptions } from './shared';

interface SpecFlags {
  name?: string;
  endpointName?: string;
  file?: string;
  set?: string[];
  setDefault?: boolean;
}

/**
 * PUT a deployment from its YAML: an inline model or a local code folder is uploaded and
 * registered first (content-addressed versions, so an unchanged folder is neither sent nor
 * registered twice), Azure-only keys get a one-line note, `--set-default` makes it the default.
 */
async function putDeployment(ctx: Context, spec: YamlSpec, flags: SpecFlags): Promise<unknown> {
  const y = parseDeployment(spec);
  const name = required(flags.name ?? y.name, 'The deployment name (--name or name: in the file)');
  const endpoint = required(flags.endpointName ?? y.endpoint_name, 'The endpoint name (--endpoint-name or endpoint_name: in the file)');
  const ignored = ignoredKeys(y);
  if (ignored.length) ctx.note(`Note: ${ignored.join(', ')} ${ignored.length === 1 ? 'does' : 'do'} not apply here (scoring runs in the Functions app); ignored.`);
  const baseDir = flags.file ? dirname(flags.file) : process.cwd();
  // The endpoint must exist before anything is uploaded.
  await ctx.client.request('GET', `batchEndpoints/${enc(endpoint)}`, { roles: READ });

  let modelId: string;
  if (typeof y.model === 'string') {
    modelId = y.model;
  } else {
    const m = y.model;
    const props = { modelType: m.type, ...(m.description !== undefined ? { description: m.description } : {}) };
    modelId = (await registerAsset(ctx, { kind: 'models', name: m.name ?? `${name}-model`, version: m.version ?? 'hash', path: m.path, baseDir, properties: props })).id;
  }
  let codeId: string | undefined;
  if (y.code_configuration) {
    const code = y.code_configuration.code;
    codeId = parseAssetRef(code)
      ? code
      : (await registerAsset(ctx, { kind: 'codes', name: `${name}-code`, version: 'hash', path: code, baseDir, properties: {} })).id;
  }
  const body = deploymentBody(y, { modelId, ...(codeId ? { codeId } : {}) });
  const res = await ctx.client.request('PUT', `batchEndpoints/${enc(endpoint)}/deployments/${enc(name)}`, { roles: MANAGE, body });
  if (flags.setDefault) {
    await ctx.client.request('PATCH', `batchEndpoints/${enc(endpoint)}`, { roles: MANAGE, body: { properties: { defaults: { deploymentName: name } } } });
    ctx.note(`Deployment '${name}' is now the default of batch endpoint '${endpoint}'.`);
  }
  return res.body;
}

export function registerDeploymentCommands(program: Command): void {
  const group = program.command('batch-deployment').description('Manage batch deployments');
  const endpointOption = (cmd: Command, requiredFlag = true) =>
    requiredFlag ? cmd.requiredOption('-e, --endpoint-name <name>', 'endpoint name') : cmd.option('-e, --endpoint-name <name>', 'endpoint name (overrides endpoint_name: in the file)');

  endpointOption(withSpecOptions(leaf(group, 'create', 'Create (or replace) a batch deployment from YAML')), false)
    .option('-n, --name <name>', 'deployment name (overrides name: in the file)')
    .option('--set-default', "make it the endpoint's default deployment")
    .action(action<SpecFlags>((o, ctx) => putDeployment(ctx, specOf(o.file, o.set), o), deploymentRow));

  endpointOption(withSpecOptions(leaf(group, 'update', 'Update a batch deployment: the file and --set on top of the current one')), false)
    .option('-n, --name <name>', 'deployment name')
    .option('--set-default', "make it the endpoint's default deployment")
    .action(
      action<SpecFlags>(async (o, ctx) => {
        const spec = specOf(o.file, undefined);
        const name = required(o.name ?? (spec.data['name'] as string | undefined), 'The deployment name (--name or name: in the file)');
        const endpoint = required(o.endpointName ?? (spec.data['endpoint_name'] as string | undefined), 'The endpoint name (--endpoint-name)');
        const current = (await ctx.client.request('GET', `batchEndpoints/${enc(endpoint)}/deployments/${enc(name)}`, { roles: READ })).body;
        const base = deploymentYamlOf(current, endpoint);
        // A file in the legacy root-level form must not clash with the current settings block.
        if (spec.data['settings'] === undefined && Object.keys(spec.data).some((k) => k in (base['settings'] as object))) {
          spec.data['settings'] = Object.fromEntries(Object.keys(base['settings'] as object).flatMap((k) => (k in spec.data ? [[k, spec.data[k]]] : [])));
          for (const k of Object.keys(spec.data['settings'] as object)) delete spec.data[k];
        }
        const data = defined(applySets(deepMerge(base, spec.data), o.set?.map(settingsSetPath)));
        return putDeployment(ctx, { ...spec, data }, { ...o, name, endpointName: endpoint });
      }, deploymentRow),
    );

  endpointOption(leaf(group, 'show', 'Show a batch deployment'))
    .requiredOption('-n, --name <name>', 'deployment name')
    .action(
      action<{ name: string; endpointName: string }>(
        async (o, ctx) => (await ctx.client.request('GET', `batchEndpoints/${enc(o.endpointName)}/deployments/${enc(o.name)}`, { roles: READ })).body,
        deploymentRow,
      ),
    );

  endpointOption(leaf(group, 'list', 'List the deployments of a batch endpoint')).action(
    action<{ endpointName: string }>(async (o, ctx) => ctx.client.list(`batchEndpoints/${enc(o.endpointName)}/deployments`), deploymentRow),
  );

  endpointOption(leaf(group, 'delete', 'Delete a batch deployment (not the default one)'))
    .requiredOption('-n, --name <name>', 'deployment name')
    .option('-y, --yes', 'do not prompt (az compatibility; this CLI never prompts)')
    .action(
      action<{ name: string; endpointName: string }>(async (o, ctx) => {
        const res = await ctx.client.request('DELETE', `batchEndpoints/${enc(o.endpointName)}/deployments/${enc(o.name)}`, { roles: MANAGE });
        ctx.note(res.status === 204 ? `Deployment '${o.name}' did not exist.` : `Deployment '${o.name}' deleted.`);
        return undefined;
      }),
    );

  endpointOption(leaf(group, 'list-jobs', 'List the jobs that ran on a deployment, newest first'))
    .requiredOption('-n, --name <name>', 'deployment name')
    .option('--top <n>', 'at most this many jobs')
    .action(
      action<{ name: string; endpointName: string; top?: string }>(async (o, ctx) => {
        const jobs = await ctx.client.list(`batchEndpoints/${enc(o.endpointName)}/jobs`);
        const mine = jobs.filter((j: any) => String(j.properties?.deploymentName).toLowerCase() === o.name.toLowerCase());
        return o.top ? mine.slice(0, Number(o.top)) : mine;
      }, jobRow),
    );
}
