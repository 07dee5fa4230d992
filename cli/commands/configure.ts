import { Command } from 'commander';
import { readConfig, writeConfig, type SavedConfig } from '../config';
import { action } from '../context';

export function registerConfigure(program: Command): void {
  program
    .command('configure')
    .description('Save the service URL and token scope in ~/.azmlb/config.json (AZMLB_CONFIG_DIR)')
    .option('--url <url>', 'service URL, e.g. https://func-api-xyz.azurewebsites.net')
    .option('--scope <appIdUri>', "the API's App ID URI (azd: API_APP_ID_URI)")
    .option('-o, --output <format>', 'output format', 'json')
    .option('--query <jmespath>', 'JMESPath query')
    .action(
      action<{ url?: string; scope?: string }>(async (o) => {
        const config: SavedConfig = { ...readConfig(process.env) };
        if (o.url !== undefined) config.url = o.url.replace(/\/+$/, '');
        if (o.scope !== undefined) config.scope = o.scope;
        if (o.url !== undefined || o.scope !== undefined) {
          const file = writeConfig(process.env, config);
          process.stderr.write(`Saved ${file}\n`);
        }
        return config;
      }),
    );
}
