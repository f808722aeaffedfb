import { SetMetadata } from '@nestjs/common';

export const AUDIENCE_KEY = 'authmesh:audience';

/**
 * Judges the routes it marks for `audience` instead of the app's own: the global JwtAuthGuard
 * verifies with the verifier of that audience, which must be among the module's `audiences`
 * (start-up wiring, checked on the first request). Auth's userinfo endpoint takes `userinfo`
 * tokens while the rest of auth takes `auth` ones: an app granted `openid` may read the user's
 * claims, not act on the account.
 *
 * @example
 * @RouteAudience(USERINFO_AUDIENCE)
 * @Controller('oauth')
 * export class UserinfoController { … }
 */
export const RouteAudience = (audience: string): MethodDecorator & ClassDecorator => SetMetadata(AUDIENCE_KEY, audience);
