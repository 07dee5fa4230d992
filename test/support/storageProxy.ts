import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of one storage service port, which a test can turn into an outage:
 * 'frozen' accepts connections and reads requests but never answers (a hung service), 'down'
 * resets every connection (a stopped one), 'up' forwards.
 */
export class StorageProxy {
  mode: 'up' | 'frozen' | 'down' = 'up';
  /** Bytes of requests that arrived while frozen (they reached the "service" and got no answer). */
  frozenBytes = 0;
  /** Bytes sent back to clients while frozen: stays 0 (any answer then is the app's own). */
  answeredWhileFrozen = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  static async start(targetPort: number): Promise<StorageProxy> {
    const server = createServer();
    const proxy = new StorageProxy(server);
    server.on('connection', (client) => proxy.accept(client, targetPort));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  private accept(client: Socket, targetPort: number): void {
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', () => undefined);
    if (this.mode === 'down') {
      client.resetAndDestroy();
      return;
    }
    const upstream = createConnection(targetPort, '127.0.0.1');
    this.sockets.add(upstream);
    upstream.on('close', () => {
      this.sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.on('data', (data) => {
      if (this.mode === 'down') return void client.resetAndDestroy();
      if (this.mode === 'frozen') {
        this.frozenBytes += data.length;
        return;
      }
      upstream.write(data);
    });
    upstream.on('data', (data) => {
      if (this.mode === 'frozen') {
        this.answeredWhileFrozen += data.length;
        return;
      }
      client.write(data);
    });
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
