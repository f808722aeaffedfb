import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '@authmesh/testing';

/** A real HTTP server standing in for a mailer (AUTH_MAIL_WEBHOOK_URL): records every JSON document POSTed to it. */
export class MailCapture {
  readonly messages: Record<string, unknown>[] = [];
  private server?: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.messages.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/mail`;
    return this;
  }

  /** The messages sent to `to`, once `count` of them have arrived (delivery is out of band). */
  async to(to: string, count = 1): Promise<Record<string, unknown>[]> {
    const mine = (): Record<string, unknown>[] => this.messages.filter((m) => m.to === to);
    await waitFor(() => mine().length >= count, 3000, 10);
    return mine();
  }

  /** The unlock messages sent to `to` so far. */
  unlocksTo(to: string): Record<string, unknown>[] {
    return this.messages.filter((m) => m.to === to && m.kind === 'unlock_address');
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}
