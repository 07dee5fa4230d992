import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { selfSignedCert } from './selfSignedCert';

export interface TestServer {
  port: number;
  /** TCP connections accepted so far (counted before TLS, so refused-early clients show as 0). */
  connections(): number;
  /** The certificate to trust (safeFetch `ca`). */
  ca: string;
  close(): Promise<void>;
}

const cert = selfSignedCert();

/** An HTTPS server on loopback (IPv4 and, when the machine has it, IPv6) that counts connections. */
export async function startTestServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end('ok'),
): Promise<TestServer> {
  let count = 0;
  const server: Server = createServer({ cert: cert.cert, key: cert.key }, handler);
  server.on('connection', () => count++);
  const listen = (host: string) =>
    new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(0, host, () => {
        server.off('error', fail);
        ok();
      });
    });
  // '::' also accepts IPv4 (as ::ffff:127.0.0.1); fall back where IPv6 is off.
  await listen('::').catch(() => listen('127.0.0.1'));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    connections: () => count,
    ca: cert.cert,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}
