import { ClientCredentialsTokenSource, ServiceHttpClient } from '@authmesh/service-auth';
import { type DynamicModule, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { ProfilesClientConfig } from './profiles-client.config.js';
import { ProfilesClient } from './profiles-client.js';

/** Closes the HTTP client's keep-alive connections with the app. */
class ProfilesHttpLifecycle implements OnApplicationShutdown {
  constructor(private readonly http: ServiceHttpClient) {}
  async onApplicationShutdown(): Promise<void> {
    await this.http.close();
  }
}

/**
 * Provides `ProfilesClient`: one token source for audience `profiles` (cached, refreshed at 80 %
 * of its lifetime, single flight) and one HTTP client for the profiles service.
 */
@Module({})
export class ProfilesClientModule {
  static forRoot(config: ProfilesClientConfig): DynamicModule {
    return {
      module: ProfilesClientModule,
      providers: [
        {
          provide: ClientCredentialsTokenSource,
          useFactory: () => {
            const logger = new Logger('ProfilesTokenSource');
            return new ClientCredentialsTokenSource({
              tokenUrl: config.tokenUrl,
              clientId: config.clientId,
              clientSecret: config.clientSecret,
              clientKey: config.clientKey,
              issuer: config.issuer,
              audience: 'profiles',
              fetchTimeoutMs: config.timeoutMs,
              onBackgroundError: (e) => logger.warn(`background token refresh failed: ${(e as Error).message}`),
            });
          },
        },
        {
          provide: ServiceHttpClient,
          useFactory: (tokens: ClientCredentialsTokenSource) =>
            new ServiceHttpClient({ baseUrl: config.profilesUrl, tokens, timeoutMs: config.timeoutMs }),
          inject: [ClientCredentialsTokenSource],
        },
        { provide: ProfilesClient, useFactory: (http: ServiceHttpClient) => new ProfilesClient(http), inject: [ServiceHttpClient] },
        {
          provide: ProfilesHttpLifecycle,
          useFactory: (http: ServiceHttpClient) => new ProfilesHttpLifecycle(http),
          inject: [ServiceHttpClient],
        },
      ],
      exports: [ProfilesClient, ClientCredentialsTokenSource],
    };
  }
}
