import { type AppDefinition, type BaseConfig, EnvReader, readBaseConfig } from '@authmesh/platform';
import { type VerifierConfig, readVerifierConfig } from '@authmesh/token-verifier';
import { ProfilesModule } from './profiles.module.js';

export interface ProfilesConfig extends BaseConfig {
  verifier: VerifierConfig;
}

export const profilesApp: AppDefinition<ProfilesConfig> = {
  name: 'profiles',
  loadConfig: (env) => {
    const reader = new EnvReader(env);
    const base = readBaseConfig('profiles', reader, env);
    const verifier = readVerifierConfig(reader, 'profiles');
    reader.finish('profiles');
    return { ...base, verifier };
  },
  rootModule: (config) => ProfilesModule.forRoot(config),
};
