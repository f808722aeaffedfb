import { InjectConfig, Public, type SelfRenderingError, schemaRef } from '@authmesh/platform';
import { Body, Controller, Get, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiSecurity } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, MaxLength, MinLength } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthAnswer } from '../auth-client/auth-client.js';
import type { GatewayConfig } from '../config/gateway.config.js';
import { SessionExpiredError } from '../errors/gateway-errors.js';
import { CSRF_SCHEME, SESSION_SCHEME } from '../gateway.openapi.js';
import { forwardContextOf } from '../proxy/forward-headers.js';
import { allowedOriginsOf, checkCsrf } from './csrf.js';
import { LoginRequestGuard } from './login-request.js';
import { SessionCookie } from './session-cookie.js';
import { SessionService, type SessionView } from './session.service.js';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

export class SessionLoginDto {
  @ApiProperty({ minLength: 1, maxLength: 254, description: 'Trimmed.' })
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(254)
  email!: string;

  @ApiProperty({ minLength: 1, maxLength: 256, format: 'password' })
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  password!: string;
}

/** Auth's own answer to a refused login (401 invalid_credentials, 429 too_many_attempts…), relayed as is. */
class RelayedAuthAnswer implements SelfRenderingError {
  constructor(private readonly answer: AuthAnswer) {}
  render(): { status: number; headers: Record<string, string>; body: unknown } {
    return { status: this.answer.status, headers: this.answer.headers, body: this.answer.body ?? {} };
  }
}

/**
 * The browser's session endpoints (BFF). Responses carry `Cache-Control: no-store`: they hold the
 * CSRF token and must not be cached by any intermediary.
 */
@Public()
@Controller('session')
export class SessionController {
  private readonly allowedOrigins: ReadonlySet<string>;
  private readonly publicOrigin: string;

  constructor(
    private readonly sessions: SessionService,
    private readonly cookie: SessionCookie,
    @InjectConfig() config: GatewayConfig,
  ) {
    this.allowedOrigins = allowedOriginsOf(config.gateway);
    this.publicOrigin = config.gateway.publicOrigin;
  }

  /**
   * `{ email, password }` → a new session (new id every time) and its cookie. Login CSRF (logging a
   * victim into the attacker's account): `LoginRequestGuard` requires a JSON body and refuses a
   * browser's cross-site or foreign-origin request, before the body is even validated.
   */
  @Post('login')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Log in at auth and start a browser session (Set-Cookie); JSON only, a foreign Origin is refused (login CSRF)',
  })
  @ApiOkResponse({ description: 'The new session; Set-Cookie carries its id.', schema: schemaRef('SessionView') })
  @UseGuards(LoginRequestGuard)
  async login(
    @Body() body: SessionLoginDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SessionView> {
    void reply.header('cache-control', 'no-store');
    const result = await this.sessions.login(
      { email: body.email, password: body.password },
      this.cookie.read(request),
      forwardContextOf(request, this.publicOrigin),
    );
    if (result.kind === 'refused') throw new RelayedAuthAnswer(result.answer);
    this.cookie.set(reply, result.id);
    return result.view;
  }

  /** `{ authenticated, csrfToken, sub }` for a live session; `{ authenticated: false }` otherwise (and the dead cookie cleared). */
  @Get()
  @ApiOperation({ summary: 'The current session and its CSRF token, or { authenticated: false }' })
  @ApiSecurity({})
  @ApiSecurity(SESSION_SCHEME)
  @ApiOkResponse({ schema: schemaRef('SessionView') })
  async current(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<SessionView> {
    void reply.header('cache-control', 'no-store');
    const id = this.cookie.read(request);
    const view = await this.sessions.view(id);
    if (!view.authenticated && id !== undefined) this.cookie.clear(reply);
    return view;
  }

  /** CSRF-checked: revokes the refresh family at auth, deletes the session, clears the cookie. */
  @Post('logout')
  @HttpCode(200)
  @ApiOperation({ summary: 'End the session (its refresh family revoked at auth) and clear the cookie; idempotent' })
  @ApiSecurity({ [SESSION_SCHEME]: [], [CSRF_SCHEME]: [] })
  @ApiOkResponse({ schema: { type: 'object', properties: { authenticated: { type: 'boolean', enum: [false] } } } })
  async logout(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<{ authenticated: false }> {
    void reply.header('cache-control', 'no-store');
    let session;
    try {
      session = await this.sessions.authenticate(this.cookie.read(request));
    } catch (e) {
      if (!(e instanceof SessionExpiredError)) throw e;
      // Nothing to end: logging out is idempotent.
      this.cookie.clear(reply);
      return { authenticated: false };
    }
    checkCsrf({ method: 'POST', ...headersOf(request) }, session.record.csrfToken, this.allowedOrigins);
    await this.sessions.logout(session, forwardContextOf(request, this.publicOrigin));
    this.cookie.clear(reply);
    return { authenticated: false };
  }
}

function headersOf(request: FastifyRequest): { origin: string | undefined; referer: string | undefined; csrfToken: string | undefined } {
  const h = (name: string): string | undefined => {
    const v = request.headers[name];
    return typeof v === 'string' ? v : undefined;
  };
  return { origin: h('origin'), referer: h('referer'), csrfToken: h('x-csrf-token') };
}
