import httpProxy from '@fastify/http-proxy';
import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';

/**
 * The load balancer in front of one service's replicas: each request goes to the next replica in
 * turn. Built on @fastify/http-proxy (the proxy the gateway itself uses, a direct dependency) with
 * reply-from's `getUpstream` hook choosing the replica, rather than a hand-written TCP relay: it
 * speaks HTTP, so the choice is per request, not per kept-alive connection (a verifier's undici
 * pool would otherwise pin every JWKS fetch and token call to one auth replica).
 *
 * It forwards requests as they came (no X-Forwarded-For of its own, nothing rewritten): the gateway's
 * proved X-Forwarded-For reaches auth intact, and replicas see it as a client on 127.0.0.1 — as
 * behind a Kubernetes Service, which does not touch HTTP either.
 */
export class RoundRobin {
  private constructor(
    readonly name: string,
    private readonly server: FastifyInstance,
    readonly url: string,
    private readonly turn: { upstreams: string[]; next: number },
  ) {}

  /** Listens on 127.0.0.1:`port` (0: any free port) with no upstream yet (503 until `setUpstreams`). */
  static async start(name: string, port: number): Promise<RoundRobin> {
    // No body parsing: http-proxy passes every body through as a stream (JSON and forms alike),
    // and no request logging (the replicas log each request).
    const server = Fastify({ logger: false, bodyLimit: 2 * 1024 * 1024 });
    const turn = { upstreams: [] as string[], next: 0 };
    await server.register(httpProxy, {
      upstream: '',
      websocket: false,
      disableRequestLogging: true,
      internalRewriteLocationHeader: false,
      preHandler: async (_request, reply) => {
        if (turn.upstreams.length === 0) {
          // Only between the balancer's start and its replicas' (the topology starts them in order).
          await reply.code(503).header('retry-after', '1').type('text/plain').send(`no ${name} replica is up yet\n`);
        }
      },
      replyOptions: {
        getUpstream: () => {
          const url = turn.upstreams[turn.next % turn.upstreams.length]!;
          turn.next = (turn.next + 1) % turn.upstreams.length;
          return url;
        },
        // One try per request, as a Service's kube-proxy does: a retry would hide a replica that fails.
        retryDelay: () => null,
      },
    });
    await server.listen({ port, host: '127.0.0.1' });
    const address = server.server.address() as AddressInfo;
    return new RoundRobin(name, server, `http://127.0.0.1:${address.port}`, turn);
  }

  get port(): number {
    return Number(new URL(this.url).port);
  }

  /** The replicas requests go to, in turn (their base URLs). */
  setUpstreams(urls: readonly string[]): void {
    this.turn.upstreams = [...urls];
    this.turn.next = 0;
  }

  close(): Promise<void> {
    return this.server.close();
  }
}
