/**
 * The passport-jwt peer of `bench:edge`: what a Nest user would build instead of authmesh's
 * verifier, written the way the docs show it — NestJS's "Passport (authentication)" recipe
 * (`JwtStrategy extends PassportStrategy(Strategy)`, `@UseGuards(AuthGuard('jwt'))`) with the key
 * from jwks-rsa's `passportJwtSecret` configured as jwks-rsa's README shows for passport-jwt
 * (`cache: true, rateLimit: true, jwksRequestsPerMinute: 5`), and the issuer, audience and
 * algorithm checks passport-jwt documents. On Fastify, as orders is: `@nestjs/platform-express`
 * is not installed here.
 */
import { Controller, Get, Inject, Injectable, Module, Req, UseGuards, type DynamicModule } from '@nestjs/common';
import { AuthGuard, PassportModule, PassportStrategy } from '@nestjs/passport';
import { passportJwtSecret } from 'jwks-rsa';
import { ExtractJwt, Strategy } from 'passport-jwt';

export interface PeerConfig {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUri: string;
}

const PEER_CONFIG = Symbol('PEER_CONFIG');

interface JwtPayload {
  sub: string;
  client_id: string;
  scope?: string;
  aud: string | string[];
  jti: string;
  exp: number;
}

/** What `validate` returns becomes `request.user`: here the same principal orders' /whoami answers. */
export interface PeerUser {
  sub: string;
  clientId: string;
  scopes: string[];
  audience: string[];
  tokenId: string;
  expiresAt: string;
  isService: boolean;
}

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy) {
  constructor(@Inject(PEER_CONFIG) config: PeerConfig) {
    super({
      secretOrKeyProvider: passportJwtSecret({ cache: true, rateLimit: true, jwksRequestsPerMinute: 5, jwksUri: config.jwksUri }),
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      audience: config.audience,
      issuer: config.issuer,
      algorithms: ['RS256'],
    });
  }

  validate(payload: JwtPayload): PeerUser {
    return {
      sub: payload.sub,
      clientId: payload.client_id,
      scopes: payload.scope ? payload.scope.split(' ') : [],
      audience: Array.isArray(payload.aud) ? payload.aud : [payload.aud],
      tokenId: payload.jti,
      expiresAt: new Date(payload.exp * 1000).toISOString(),
      isService: false,
    };
  }
}

@Controller('whoami')
export class PeerWhoamiController {
  @Get()
  @UseGuards(AuthGuard('jwt'))
  whoami(@Req() request: { user: PeerUser }): PeerUser {
    return request.user;
  }
}

@Module({})
export class PassportJwtPeerModule {
  static forRoot(config: PeerConfig): DynamicModule {
    return {
      module: PassportJwtPeerModule,
      imports: [PassportModule],
      controllers: [PeerWhoamiController],
      providers: [{ provide: PEER_CONFIG, useValue: config }, JwtStrategy],
    };
  }
}
