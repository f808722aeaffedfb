import { type CallHandler, type ExecutionContext, Injectable, Logger, type NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { type Observable, catchError, from, switchMap, tap, throwError } from 'rxjs';
import { ClientAuthLimiter } from '../rate-limit/client-auth-limiter.js';
import { ClientAuthenticator } from './client-authenticator.js';
import { InvalidClient } from './oauth.errors.js';
import { OAuthParams } from './oauth-params.js';

/**
 * Puts client authentication by secret at `/oauth/*` under ClientAuthLimiter's failure budgets,
 * whatever the grant or endpoint: before the handler, a spent budget is refused (429) before any
 * secret is checked; an `invalid_client` answer spends one; a success makes the connection peer
 * known to the client.
 * Around the handler rather than inside ClientsService because the budgets need the client's
 * address, which only the request has.
 */
@Injectable()
export class ClientAuthBudgetInterceptor implements NestInterceptor {
  private readonly logger = new Logger('ClientAuthBudget');

  constructor(
    private readonly limiter: ClientAuthLimiter,
    private readonly authenticator: ClientAuthenticator,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const attempt = this.secretAttempt(req);
    // Nothing to guess: no credential (a public client's refresh or revocation) or an assertion.
    if (attempt === undefined) return next.handle();
    const { clientId } = attempt;
    // The TCP peer, not req.ip (the forwarded address): see ClientAuthLimiter on known peers.
    const peer = req.socket.remoteAddress ?? req.ip;
    await this.limiter.check(clientId, req.ip, peer);
    return next.handle().pipe(
      tap(() => {
        if (clientId !== undefined) this.limiter.recordSuccess(clientId, peer).catch((e: unknown) => this.warn(e));
      }),
      catchError((e: unknown) =>
        from(
          e instanceof InvalidClient
            ? this.limiter.recordFailure(clientId, req.ip).catch((err: unknown) => this.warn(err))
            : Promise.resolve(),
        ).pipe(switchMap(() => throwError(() => e))),
      ),
    );
  }

  /**
   * The secret authentication this request attempts, with the client id it names when well-formed
   * enough to count against; `{}` for a malformed one (the handler refuses it, the address's budget
   * pays); undefined when it presents no credential or an assertion.
   */
  private secretAttempt(req: FastifyRequest): { clientId?: string } | undefined {
    try {
      const presented = this.authenticator.presented(req.headers.authorization, new OAuthParams(req.body));
      return presented?.method === 'client_secret' ? { clientId: presented.clientId } : undefined;
    } catch {
      return {};
    }
  }

  private warn(e: unknown): void {
    this.logger.warn(`could not update the client authentication budgets: ${String(e)}`);
  }
}
