import { type DynamicModule, Global, Module } from '@nestjs/common';
import { RevocationModule } from '@authmesh/revocation';
import type { AuthConfig } from '../config/auth.config.js';

/**
 * Auth's one copy of the shared revocation mirror (`@authmesh/revocation`'s RevocationModule: the
 * mirror, its feed and the MirrorRevocationChecker). Global because its options come from the
 * config at `forRoot` time, and both the token issuer (tokens/) and the verifier (auth.module.ts)
 * must see this one mirror rather than each build their own feed.
 */
@Global()
@Module({})
export class RevocationMirrorModule {
  static forRoot(config: AuthConfig): DynamicModule {
    const mirror = RevocationModule.forRoot({ ...config.revocation, clockToleranceSeconds: config.auth.clockToleranceSeconds });
    return { module: RevocationMirrorModule, imports: [mirror], exports: [mirror] };
  }
}
