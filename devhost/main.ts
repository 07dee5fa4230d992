#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { startHost } from './host';

/** `node dist/devhost/main.js [--app DIR] [--port N] [--host ADDR]`: runs the local host only. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      app: { type: 'string', default: '.' },
      port: { type: 'string', default: process.env.DEVHOST_PORT ?? '7071' },
      host: { type: 'string', default: '127.0.0.1' },
      'log-level': { type: 'string' },
    },
  });
  const host = await startHost({ appDir: values.app!, port: Number(values.port), host: values.host, logLevel: values['log-level'] });
  let signals = 0;
  const shutdown = (signal: string) => {
    if (++signals > 1) {
      // Nothing acknowledged is lost: commits are atomic; uncommitted results run again on restart.
      host.log.warn(`${signal} again: exiting now; unfinished work resumes on the next start.`);
      process.exit(130);
    }
    host.log.info(`${signal} received.`);
    host.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: Error) => {
  process.stderr.write(`devhost: ${err.message}\n`);
  process.exit(1);
});
