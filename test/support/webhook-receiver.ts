import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A local webhook receiver: records every POST and answers what `respond` says (200 by default). */
export class WebhookReceiver {
  readonly received: Received[] = [];
  respond: (r: Received) => number = () => 200;
  private constructor(private readonly server: Server) {}

  static async start(port = 0): Promise<WebhookReceiver> {
    const state: { receiver?: WebhookReceiver } = {};
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        state.receiver!.received.push(r);
        res.statusCode = state.receiver!.respond(r);
        res.end();
      });
    });
    const receiver = new WebhookReceiver(server);
    state.receiver = receiver;
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  async until(predicate: (received: Received[]) => boolean, ms = 20_000): Promise<void> {
    const end = Date.now() + ms;
    while (!predicate(this.received)) {
      if (Date.now() > end) throw new Error(`receiver: timed out with ${this.received.length} deliveries`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
