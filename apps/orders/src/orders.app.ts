import { type AppDefinition, type BaseConfig, EnvReader, readBaseConfig } from '@authmesh/platform';
import { type RevocationConfig, readRevocationConfig } from '@authmesh/revocation';
import { type VerifierConfig, readVerifierConfig } from '@authmesh/token-verifier';
import { OrdersModule } from './orders.module.js';
import { type ProfilesClientConfig, readProfilesClientConfig } from './profiles-client/profiles-client.config.js';

export interface OrdersConfig extends BaseConfig {
  verifier: VerifierConfig;
  revocation: RevocationConfig;
  profilesClient: ProfilesClientConfig;
}

export const ordersApp: AppDefinition<OrdersConfig> = {
  name: 'orders',
  loadConfig: (env) => {
    const reader = new EnvReader(env);
    const base = readBaseConfig('orders', reader, env);
    const verifier = readVerifierConfig(reader, 'orders');
    const revocation = readRevocationConfig(reader);
    const profilesClient = readProfilesClientConfig(reader);
    const parts = reader.finish('orders', { base, verifier, revocation, profilesClient });
    return {
      ...parts.base,
      verifier: parts.verifier,
      revocation: parts.revocation,
      profilesClient: parts.profilesClient(parts.verifier.issuer),
    };
  },
  rootModule: (config) => OrdersModule.forRoot(config),
};
