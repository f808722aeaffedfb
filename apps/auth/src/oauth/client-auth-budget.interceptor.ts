import { type CallHandler, type ExecutionContext, Injectable, Logger, type NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { type Observable, catchError, from, switchMap, tap, throwError } from 'rxjs';
import { ClientAuthLimiter } from '../rate-limit/client-auth-limiter.js';
import { ClientAuthenticator } from './client-authenticator.js';
import { InvalidClient } from './oauth.errors.js';
import { OAuthParams } from './oauth-params.js';

/**
 * Puts client authentication at `/oauth/*` under ClientAuthLimiter's failure budgets, whatever the
 * grant or endpoint: before the handler, a spent budget is refused (429) before any secret is
 * checked; an `invalid_client` answer spends one; a success makes the address known to the client.
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
    const clientId = this.presentedClientId(req);
    await this.limiter.check(clientId, req.ip);
    return next.handle().pipe(
      tap(() => {
        if (clientId !== undefined) this.limiter.recordSuccess(clientId, req.ip).catch((e: unknown) => this.warn(e));
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

  /** The client id the request authenticates as, if it names one well-formed enough to count against. */
  private presentedClientId(req: FastifyRequest): string | undefined {
    try {
      return this.authenticator.presented(req.headers.authorization, new OAuthParams(req.body))?.clientId;
    } catch {
      return undefined; // malformed: the handler refuses it, and the address's budget pays
    }
  }

  private warn(e: unknown): void {
    this.logger.warn(`could not update the client authentication budgets: ${String(e)}`);
  }
}
