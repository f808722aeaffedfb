import type { FastifyInstance } from 'fastify';

/** One route as Fastify registered it: `GET /orders/:id`, `POST /api/orders/*`. */
export interface RegisteredRoute {
  readonly method: string;
  /** Fastify's path syntax: `:param`, `*` for a wildcard. */
  readonly url: string;
}

/**
 * Every route the app registers, from Fastify's `onRoute` hook (Nest controllers, raw routes, the
 * gateway's proxy plugins alike): what the OpenAPI test compares the document with, and what an
 * operator can print to see what a port answers. Install before any route is registered.
 */
export class RegisteredRoutes {
  private readonly routes: RegisteredRoute[] = [];

  /** Starts recording the routes `fastify` (and its child plugins) register from now on. */
  static recordOn(fastify: FastifyInstance): RegisteredRoutes {
    const recorded = new RegisteredRoutes();
    fastify.addHook('onRoute', (route) => {
      for (const method of Array.isArray(route.method) ? route.method : [route.method])
        recorded.routes.push({ method, url: route.url ?? route.path });
    });
    return recorded;
  }

  /** The routes registered so far, in registration order. */
  list(): readonly RegisteredRoute[] {
    return [...this.routes];
  }
}
