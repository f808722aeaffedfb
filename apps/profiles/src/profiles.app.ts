import { type AppDefinition, type BaseConfig, EnvReader, readBaseConfig } from '@authmesh/platform';
import { type RevocationConfig, readRevocationConfig } from '@authmesh/revocation';
import { type VerifierConfig, readVerifierConfig } from '@authmesh/token-verifier';
import { type ProfilesApiConfig, readProfilesApiConfig } from './profiles/profiles.config.js';
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
};
