#!/usr/bin/env node
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startLocalStack, stopOnSignals } from './localStack';

/** `node dist/devhost/start.js [--app DIR]`: Azurite + local issuer + host for any Functions app. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      app: { type: 'string', default: '.' },
      port: { type: 'string', default: process.env.DEVHOST_PORT ?? '7071' },
      host: { type: 'string', default: '127.0.0.1' },
    },
  });
  const stack = await startLocalStack({ appDir: resolve(values.app!), port: Number(values.port), host: values.host });
  console.log(`\nReady: ${stack.host.url}\nStop:  Ctrl+C\n`);
  stopOnSignals(stack);
}

main().catch((err: Error) => {
  console.error(`devhost start failed: ${err.message}`);
  process.exit(1);
});
