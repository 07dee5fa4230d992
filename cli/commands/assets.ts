import { dirname } from 'node:path';
import type { Command } from 'commander';
import { registerAsset } from '../assets';
import { enc, MANAGE, READ } from '../client';
import { action, type Context } from '../context';
import { CliError } from '../errors';
import { datastoreBody, parseData, parseModel } from '../specs/assets';
import { assetRow, datastoreRow } from '../views';
import { specOf } from '../yamlFile';
import { leaf, required, withSpecOptions } from './shared';

interface AssetFlags {
  name?: string;
  version?: string;
  path?: string;
  type?: string;
  file?: string;
  set?: string[];
}

/** Flags (`--name`, `--version`, `--path`, `--type`) over the file's keys, as az ml does. */
function assetSpec(o: AssetFlags) {
  const spec = specOf(o.file, o.set);
  for (const key of ['name', 'version', 'path', 'type'] as const) if (o[key] !== undefined) spec.data[key] = o[key];
  return spec;
}

const metadata = (y: { description?: string; tags?: Record<string, string>; properties?: Record<string, string> }) => ({
  ...(y.description !== undefined ? { description: y.description } : {}),
  ...(y.tags ? { tags: y.tags } : {}),
  ...(y.properties ? { properties: y.properties } : {}),
});

/** `GET /api/{kind}` when the service lists every asset, else a clear "give --name". */
async function listAll(ctx: Context, kind: string): Promise<unknown> {
  const res = await ctx.client.request('GET', kind, { roles: READ, accept: [404, 405] });
  if (res.status >= 400) throw new CliError(`This service lists ${kind} only by name: give --name.`, 2);
  return res.body?.value ?? [];
}

function versionedGroup(program: Command, kind: 'models' | 'data', group: string, label: string): void {
  const cmd = program.command(group).description(`Manage ${label}s`);
  withSpecOptions(leaf(cmd, 'create', `Register a ${label} version (a local path is uploaded first)`))
    .option('-n, --name <name>', `${label} name`)
    .option('-v, --version <version>', 'version (default: the next number)')
    .option('-p, --path <path>', 'local file or folder, or an azureml:// or https:// URI')
    .option('-t, --type <type>', kind === 'models' ? 'mlflow_model or custom_model' : 'uri_folder or uri_file')
    .action(
      action<AssetFlags>(async (o, ctx) => {
        const spec = assetSpec(o);
        const baseDir = o.file ? dirname(o.file) : process.cwd();
        if (kind === 'models') {
          const y = parseModel(spec);
          const name = required(y.name, 'The model name (--name or name: in the file)');
          return (await registerAsset(ctx, { kind, name, ...(y.version ? { version: y.version } : {}), path: y.path, baseDir, properties: { modelType: y.type, ...metadata(y) } })).resource;
        }
        const y = parseData(spec);
        const name = required(y.name, 'The data asset name (--name or name: in the file)');
        return (await registerAsset(ctx, { kind, name, ...(y.version ? { version: y.version } : {}), path: y.path, baseDir, properties: { dataType: y.type, ...metadata(y) } })).resource;
      }, assetRow),
    );
  leaf(cmd, 'show', `Show a ${label} version`)
    .requiredOption('-n, --name <name>', `${label} name`)
    .option('-v, --version <version>', 'version')
    .option('-l, --label <label>', 'latest (instead of --version)')
    .action(
      action<{ name: string; version?: string; label?: string }>(async (o, ctx) => {
        const version = o.version ?? (o.label ? o.label : undefined) ?? 'latest';
        return (await ctx.client.request('GET', `${kind}/${enc(o.name)}/versions/${enc(version)}`, { roles: READ })).body;
      }, assetRow),
    );
  leaf(cmd, 'list', `List ${label} versions (of one name with --name)`)
    .option('-n, --name <name>', `${label} name`)
    .action(action<{ name?: string }>(async (o, ctx) => (o.name ? ctx.client.list(`${kind}/${enc(o.name)}/versions`) : listAll(ctx, kind)), assetRow));
}

export function registerAssetCommands(program: Command): void {
  versionedGroup(program, 'models', 'model', 'model');
  versionedGroup(program, 'data', 'data', 'data asset');

  const ds = program.command('datastore').description('Manage datastores (Azure Blob)');
  withSpecOptions(leaf(ds, 'create', 'Create (or replace) a datastore from YAML'))
    .option('-n, --name <name>', 'datastore name (overrides name: in the file)')
    .action(
      action<AssetFlags>(async (o, ctx) => {
        const { name, body } = datastoreBody(specOf(o.file, o.set));
        const datastore = required(o.name ?? name, 'The datastore name (--name or name: in the file)');
        return (await ctx.client.request('PUT', `datastores/${enc(datastore)}`, { roles: MANAGE, body })).body;
      }, datastoreRow),
    );
  leaf(ds, 'show', 'Show a datastore')
    .requiredOption('-n, --name <name>', 'datastore name')
    .action(action<{ name: string }>(async (o, ctx) => (await ctx.client.request('GET', `datastores/${enc(o.name)}`, { roles: READ })).body, datastoreRow));
  leaf(ds, 'list', 'List datastores').action(action(async (_o, ctx) => ctx.client.list('datastores'), datastoreRow));
}
