/**
 * Prints an access token from the local issuer, for calling the app on this machine:
 *   node dist/scripts/token.js --roles BatchEndpoints.Invoke,BatchEndpoints.Read
 *   curl -H "Authorization: Bearer $(node dist/scripts/token.js)" ...
 * Only the token goes to stdout, so it can be captured; errors go to stderr.
 */
import { parseArgs } from 'node:util';
import { signToken } from '../devhost/issuer';
import { ALL_ROLES } from '../lib/auth/roles';

const USAGE = `Usage: node dist/scripts/token.js [options]
  --roles <list>       comma-separated app roles (default: BatchEndpoints.Read,BatchEndpoints.Invoke,BatchEndpoints.Manage;
                       pass --roles "" for none)
  --audience <aud>     token audience (default: the one the local issuer was started with)
  --expires-in <time>  seconds, or with a unit: 30m, 1h, 2d (default: 1h)
  --name <name>        display name
  --oid <guid>         object id of the caller (default: the local issuer's stable one)
  --kind <user|app>    user token (default) or app-only token (like a managed identity)
  --data-dir <dir>     local issuer folder (default: .devhost/issuer)
  --help`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      roles: { type: 'string', default: ALL_ROLES.join(',') },
      audience: { type: 'string' },
      'expires-in': { type: 'string', default: '1h' },
      name: { type: 'string' },
      oid: { type: 'string' },
      kind: { type: 'string', default: 'user' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (values.kind !== 'user' && values.kind !== 'app') throw new Error(`--kind must be 'user' or 'app'.`);
  const roles = values.roles.split(',').map((r) => r.trim()).filter(Boolean);
  // A misspelt role would give a token that every route refuses with 403: say so now.
  const unknown = roles.filter((r) => !(ALL_ROLES as readonly string[]).includes(r));
  if (unknown.length) throw new Error(`unknown role ${unknown.map((r) => `'${r}'`).join(', ')}; the app's roles are ${ALL_ROLES.join(', ')}.`);
  const token = await signToken({
    roles,
    expiresIn: values['expires-in'],
    kind: values.kind,
    ...(values.audience !== undefined && { audience: values.audience }),
    ...(values.name !== undefined && { name: values.name }),
    ...(values.oid !== undefined && { oid: values.oid }),
    ...(values['data-dir'] !== undefined && { dataDir: values['data-dir'] }),
  });
  process.stdout.write(`${token}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`token: ${(err as Error).message}\n${USAGE}\n`);
  process.exitCode = 1;
});
