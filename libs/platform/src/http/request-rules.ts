import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import FindMyWay from 'find-my-way';
import { RequestValidationError, UnsupportedMediaTypeError } from '../errors/app-error.js';
import { findInputProblem } from './input-strings.js';

/** What a route declares about its input and its error answers (read from Fastify's route config). */
export interface RouteRules {
  /** Also takes `application/x-www-form-urlencoded` (OAuth endpoints, RFC 6749 §3.2). Default: JSON only. */
  readonly acceptsForm?: boolean;
  /** `rfc6749`: every error, including bad JSON and a too-large body, as `{ error, error_description }` (§5.2). */
  readonly errorStyle?: 'rfc6749';
}

const RULES_KEY = 'authmesh';

/** Declares a route's input and error rules, e.g. `@Rules({ acceptsForm: true, errorStyle: 'rfc6749' })`. */
export const Rules = (rules: RouteRules): MethodDecorator => RouteConfig(routeConfigOf(rules));

/**
 * The same declaration as Fastify route config, for routes Nest does not own (the gateway's
 * proxied `/oauth/*` routes): `fastify.route({ config: routeConfigOf({ acceptsForm: true }) })`.
 */
export function routeConfigOf(rules: RouteRules): Record<string, RouteRules> {
  return { [RULES_KEY]: rules };
}

/** The rules of the route that matched `request` (none for an unmatched one). */
export function routeRulesOf(request: Pick<FastifyRequest, 'routeOptions'> | undefined): RouteRules {
  const config = request?.routeOptions?.config as Record<string, unknown> | undefined;
  return (config?.[RULES_KEY] as RouteRules | undefined) ?? {};
}

function mediaTypeOf(contentType: string | string[] | undefined): string | undefined {
  const value = Array.isArray(contentType) ? contentType[0] : contentType;
  return value?.split(';', 1)[0]!.trim().toLowerCase() || undefined;
}

/** A body Fastify handed over unparsed (the gateway's proxy passes the raw stream to the upstream, which judges it). */
function isUnparsed(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (Buffer.isBuffer(body) || typeof (body as { pipe?: unknown }).pipe === 'function');
}

/**
 * The input rules every route of every app gets, in a `preValidation` hook (after the body is
 * parsed, before any guard, pipe or handler), so no controller or DTO can forget them:
 * - a parsed body must be JSON, or a form where the route says so (`@Rules({ acceptsForm })`):
 *   415 otherwise, so a cross-site HTML form can never reach a JSON endpoint;
 * - no string anywhere in the body, the query or the path parameters may hold a NUL or an
 *   unpaired surrogate, and no body may nest deeper than 32 levels: 400 naming the field.
 */
export function installRequestRules(fastify: FastifyInstance): void {
  fastify.addHook('preValidation', (request, _reply, done) => {
    const body = request.body;
    if (body !== undefined && !isUnparsed(body)) {
      const media = mediaTypeOf(request.headers['content-type']);
      const accepted = routeRulesOf(request).acceptsForm ? ['application/json', 'application/x-www-form-urlencoded'] : ['application/json'];
      if (media === undefined || !accepted.includes(media)) {
        done(new UnsupportedMediaTypeError(accepted, media));
        return;
      }
    }
    const problem =
      (body === undefined || isUnparsed(body) ? undefined : findInputProblem(body, '')) ??
      findInputProblem(request.query, 'query') ??
      findInputProblem(request.params, 'params');
    if (problem) {
      done(new RequestValidationError([{ field: problem.field, problems: [`${problem.field} ${problem.problem}`] }]));
      return;
    }
    done();
  });
}

/**
 * Every route's method and path, to tell "no such path" (404) from "no such method on this path"
 * (405 with Allow, RFC 9110 §15.5.6). Fed by Fastify's onRoute hook; find-my-way is the router
 * Fastify itself uses, so a path matches here exactly when it would match there.
 */
export class MethodIndex {
  private readonly router = FindMyWay();

  add(method: string | string[], url: string, rules: RouteRules): void {
    for (const m of Array.isArray(method) ? method : [method]) {
      // OPTIONS is CORS preflight's catch-all, never the method a client meant.
      if (m === 'OPTIONS') continue;
      try {
        this.router.on(m as FindMyWay.HTTPMethod, url, () => undefined, rules);
      } catch {
        // a method find-my-way does not know, or a duplicate: not needed for the Allow header
      }
    }
  }

  /** The methods `path` answers, and the rules of one of its routes (for the answer's style). */
  allowed(path: string): { methods: string[]; rules: RouteRules } {
    const methods: string[] = [];
    let rules: RouteRules = {};
    for (const m of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const) {
      const found = this.router.find(m, path);
      if (found) {
        methods.push(m);
        rules = (found.store as RouteRules | undefined) ?? rules;
      }
    }
    return { methods, rules };
  }
}

/** Indexes every route registered from now on (call before routes are registered). */
export function indexRoutes(fastify: FastifyInstance, index: MethodIndex): void {
  fastify.addHook('onRoute', (route) => {
    const config = route.config as Record<string, unknown> | undefined;
    index.add(route.method, route.url ?? route.path, (config?.[RULES_KEY] as RouteRules | undefined) ?? {});
  });
}
