#!/usr/bin/env node
import { Command } from 'commander';
import { registerAssetCommands } from './commands/assets';
import { registerConfigure } from './commands/configure';
import { registerDeploymentCommands } from './commands/deployment';
import { registerEndpointCommands } from './commands/endpoint';
import { registerJobCommands } from './commands/job';
import { EXIT } from './errors';
import { cliVersion } from './version';

/**
 * `azmlb`: Azure ML's `az ml` batch commands (batch-endpoint, batch-deployment, model, data,
 * datastore, job) against this service's REST API. See docs/cli.md.
 */
const program = new Command('azmlb')
  .description("Azure ML batch endpoints on Azure Functions: the az ml commands you know (docs/cli.md)")
  // `azmlb --version` as `az --version`. Root options only before the command: `model show
  // --version 1` is the model's version (commander otherwise takes root options anywhere).
  .enablePositionalOptions()
  .version(`azmlb ${cliVersion()}`, '--version', 'print the version of azmlb')
  .showHelpAfterError('(add --help for usage)')
  // Usage errors look like the CLI's other errors (az prints them as ERROR: too).
  .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'ERROR: ')) })
  .exitOverride();

registerEndpointCommands(program);
registerDeploymentCommands(program);
registerAssetCommands(program);
registerJobCommands(program);
registerConfigure(program);

program.parseAsync(process.argv).catch((err: { code?: string; exitCode?: number; message?: string }) => {
  // Help and version exit 0; usage errors (unknown flag, missing value) exit 2 as az does.
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version') {
    process.exitCode = EXIT.ok;
    return;
  }
  if (err.code?.startsWith('commander.')) {
    process.exitCode = EXIT.usage;
    return;
  }
  process.stderr.write(`ERROR: ${err.message ?? String(err)}\n`);
  process.exitCode = EXIT.error;
});
