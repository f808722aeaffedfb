import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Profiles1765000000000 } from '../migrations/1765000000000-profiles.js';
import { ProfileEntity } from './profile.entity.js';
import type { ProfilesApiConfig } from './profiles.config.js';
import { PROFILES_SERVICE_CLIENTS, ProfilesController } from './profiles.controller.js';
import { ProfilesService } from './profiles.service.js';

/** What the root module passes to PlatformModule's `database`. */
export const profilesEntities = [ProfileEntity];
export const profilesMigrations = [Profiles1765000000000];

/** The profiles API: `/profiles/me`, `/profiles/:userId` (service callers), `/profiles` (admin). */
@Module({})
export class ProfilesApiModule {
  static forRoot(config: ProfilesApiConfig): DynamicModule {
    return {
      module: ProfilesApiModule,
      imports: [TypeOrmModule.forFeature([ProfileEntity])],
      controllers: [ProfilesController],
      providers: [ProfilesService, { provide: PROFILES_SERVICE_CLIENTS, useValue: new Set(config.serviceClients) }],
    };
  }
}
