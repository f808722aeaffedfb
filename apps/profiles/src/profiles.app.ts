import { type AppDefinition, type BaseConfig, EnvReader, readBaseConfig } from '@authmesh/platform';
import { type RevocationConfig, readRevocationConfig } from '@authmesh/revocation';
import { SCOPES_KEY, type VerifierConfig, readVerifierConfig } from '@authmesh/token-verifier';
import { type ProfilesApiConfig, readProfilesApiConfig } from './profiles/profiles.config.js';
import { PROFILES_SCHEMAS } from './profiles/profiles.openapi.js';
import { ProfilesModule } from './profiles.module.js';

export interface ProfilesConfig extends BaseConfig {
  verifier: VerifierConfig;
  revocation: RevocationConfig;
  profiles: ProfilesApiConfig;
}

export const profilesApp: AppDefinition<ProfilesConfig> = {
  name: 'profiles',
  loadConfig: (env) => {
    const reader = new EnvReader(env);
    const base = readBaseConfig('profiles', reader, env);
    const verifier = readVerifierConfig(reader, 'profiles');
    const revocation = readRevocationConfig(reader);
    const profiles = readProfilesApiConfig(reader);
    const parts = reader.finish('profiles', { base, verifier, revocation, profiles });
    return { ...parts.base, verifier: parts.verifier, revocation: parts.revocation, profiles: parts.profiles };
  },
  rootModule: (config) => ProfilesModule.forRoot(config),
  openapi: {
    summary:
      "User profiles: the caller's own (`/profiles/me`), every profile for `profiles:admin`, and any user's for allow-listed " +
      'services (`PROFILES_SERVICE_CLIENTS`, client-credentials tokens). Every route but `/health/*` and `/openapi.json` needs an ' +
      'access token for audience `profiles` (through the gateway: `/api/profiles/...`).',
    bearerGuard: { scopesMetadataKey: SCOPES_KEY },
    schemas: PROFILES_SCHEMAS,
  },
};
