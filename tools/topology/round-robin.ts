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
 * X-Forwarded-For depends on where it stands (`edge`):
 * - in front of the gateways (the public edge, the first hop) it sets X-Forwarded-For to the TCP
 *   peer, replacing whatever the client sent, as an edge load balancer does: a client-written
 *   value never reaches the gateway, so a gateway told to trust its balancer (TRUST_PROXY) gets
 *   the real client and its per-address budgets (the /64 client key) cannot be dodged by forging
 *   the header. Replace, not append: nothing before the first hop is believable.
 * - in front of auth, orders and profiles it forwards requests as they came (nothing rewritten),
 *   as a Kubernetes Service does: the gateway's X-Forwarded-For and its proof
 *   (`x-authmesh-forwarded-for-proof`, an HMAC over that address) must reach auth intact, or
 *   auth would count every user as the gateway (one shared login budget).
 */
export class RoundRobin {
  private constructor(
    readonly name: string,
    private readonly server: FastifyInstance,
    readonly url: string,
    private readonly turn: { upstreams: string[]; next: number },
  ) {}

  /**
   * Listens on 127.0.0.1:`port` (0: any free port) with no upstream yet (503 until `setUpstreams`).
   * `edge`: the first hop (the gateways' balancer), which sets X-Forwarded-For to the peer.
   */
  static async start(name: string, port: number, options: { edge?: boolean } = {}): Promise<RoundRobin> {
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
        ...(options.edge
          ? {
              // The peer as the only entry: a client's own X-Forwarded-For is dropped, not extended.
              // `request.ip` is the TCP peer: this Fastify trusts no proxy.
              rewriteRequestHeaders: (request, headers) => ({ ...headers, 'x-forwarded-for': request.ip }),
            }
          : {}),
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
