import { Command, Option } from 'commander';
import { tokenSource } from './auth';
import { ApiClient } from './client';
import { resolveConnection, type Connection } from './config';
import { EXIT, exitCodeOf, formatError } from './errors';
import { formatResult, FORMATS, type OutputFormat, type TableView } from './output';

/** The global arguments every command takes (az's "Global Arguments"). */
export interface GlobalOptions {
  url?: string;
  scope?: string;
  output: OutputFormat;
  query?: string;
  debug?: boolean;
  resourceGroup?: string;
  workspaceName?: string;
  subscription?: string;
}

export interface Context {
  options: GlobalOptions;
  connection: Connection;
  client: ApiClient;
  /** Notes for the user (stderr, so stdout stays the result). */
  note(line: string): void;
  debug(line: string): void;
}

export function addGlobalOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('-o, --output <format>', 'output format').choices(FORMATS).default('json'))
    .option('--query <jmespath>', 'JMESPath query applied to the result (as az --query)')
    .option('--url <url>', 'service URL (default: AZMLB_URL, the configured one, or http://localhost:7071)')
    .option('--scope <appIdUri>', "the API's App ID URI for Entra tokens (default: AZMLB_SCOPE or the configured one)")
    .option('--debug', 'print every request and answer to stderr')
    // az ml's workspace arguments and --no-wait, so commands copied from Azure ML's docs run as
    // written: one app is one workspace, and every operation has finished when the command returns.
    .option('-g, --resource-group <name>', 'accepted for az ml compatibility and ignored (one app is one workspace)')
    .option('-w, --workspace-name <name>', 'accepted for az ml compatibility and ignored (one app is one workspace)')
    .option('--subscription <id>', 'accepted for az ml compatibility and ignored')
    .option('--no-wait', 'accepted for az ml compatibility (every operation has finished when the command returns)');
}

export function contextOf(options: GlobalOptions): Context {
  const debug = (line: string) => {
    if (options.debug) process.stderr.write(`DEBUG: ${line}\n`);
  };
  const workspace = [options.subscription, options.resourceGroup, options.workspaceName].filter(Boolean);
  if (workspace.length) debug(`--subscription, --resource-group and --workspace-name are ignored (${workspace.join(', ')}): the service at the URL is the workspace.`);
  const connection = resolveConnection(options, process.env);
  const client = new ApiClient(connection.url, tokenSource(connection, debug), debug);
  return { options, connection, client, note: (line) => process.stderr.write(`${line}\n`), debug };
}

type Work<O> = (options: O & GlobalOptions, ctx: Context, args: string[]) => Promise<unknown>;

/**
 * A command's action: builds the context, runs the work, prints its result in the chosen format
 * (after --query), or the error as `ERROR: (code) message` with az's exit codes.
 */
export function action<O>(work: Work<O>, view?: TableView) {
  return async (...received: unknown[]): Promise<void> => {
    const cmd = received[received.length - 1] as Command;
    const options = cmd.optsWithGlobals() as O & GlobalOptions;
    const args = received.slice(0, -2).filter((a): a is string => typeof a === 'string');
    try {
      const ctx = contextOf(options);
      const result = await work(options, ctx, args);
      const text = formatResult(result, options.output, options.query, view);
      if (text) process.stdout.write(`${text}\n`);
      if (process.exitCode === undefined) process.exitCode = EXIT.ok;
    } catch (err) {
      if (options.debug && err instanceof Error && err.stack) process.stderr.write(`DEBUG: ${err.stack}\n`);
      process.stderr.write(`${formatError(err)}\n`);
      process.exitCode = exitCodeOf(err);
    }
  };
}
