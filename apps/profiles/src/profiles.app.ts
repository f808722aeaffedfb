import { type AppDefinition, type BaseConfig, loadBaseConfig } from '@authmesh/platform';
import { ProfilesModule } from './profiles.module.js';

export const profilesApp: AppDefinition<BaseConfig> = {
  name: 'profiles',
  loadConfig: (env) => loadBaseConfig('profiles', env),
  rootModule: (config) => ProfilesModule.forRoot(config),
};
