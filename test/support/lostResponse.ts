import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';

/** What a request looks like to `LostResponseProxy.loseNext`. */
export interface SeenRequest {
  method: string;
  url: string;
  body: string;
}

/**
 * An HTTP proxy in front of one storage service port. It forwards every request; the next one
 * `loseNext` picks reaches the service (which applies it) and then its answer is lost: the
 * client's connection is reset instead (ECONNRESET), as when a connection breaks on the way back
 * or a front end times out after the service did the work. The storage SDKs then send the same
 * request again, to a service where it is already done.
 */
export class LostResponseProxy {
  /** Requests whose answer was lost so far. */
  readonly lost: SeenRequest[] = [];
  private pick?: (r: SeenRequest) => boolean;

  private constructor(private readonly server: Server) {}

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  /** The next request for which `pick` is true loses its answer (once). */
  loseNext(pick: (r: SeenRequest) => boolean): void {
    this.pick = pick;
  }

  static async start(targetPort: number): Promise<LostResponseProxy> {
    const server = createServer();
    const proxy = new LostResponseProxy(server);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const seen: SeenRequest = { method: req.method ?? 'GET', url: req.url ?? '/', body: body.toString('utf8') };
        const lose = proxy.pick?.(seen) ?? false;
        if (lose) proxy.pick = undefined;
        const upstream = request({ host: '127.0.0.1', port: targetPort, method: seen.method, path: seen.url, headers: req.headers as IncomingHttpHeaders }, (answer) => {
          if (lose) {
            // Applied by the service; the client never hears of it.
            answer.resume();
            answer.on('end', () => {
              proxy.lost.push(seen);
              req.socket.resetAndDestroy();
            });
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        upstream.on('error', () => req.socket.destroy());
        upstream.end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
