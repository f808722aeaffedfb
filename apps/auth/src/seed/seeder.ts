import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectConfig } from '@authmesh/platform';
import { ClientsService } from '../clients/clients.service.js';
import type { AuthConfig } from '../config/auth.config.js';
import { UsersService } from '../accounts/users.service.js';

/**
 * Seeding from the environment: AUTH_SEED_ADMIN_EMAIL/PASSWORD creates the first admin (scope
 * auth:admin) if that email has no account yet; AUTH_SEED_CLIENTS creates or updates clients.
 */
@Injectable()
export class Seeder implements OnApplicationBootstrap {
  private readonly logger = new Logger('Seeder');

  constructor(
    private readonly users: UsersService,
    private readonly clients: ClientsService,
    @InjectConfig() private readonly config: AuthConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const admin = this.config.auth.seedAdmin;
    if (admin && !(await this.users.findByEmail(admin.email))) {
      if (await this.users.createVerified(admin.email, admin.password, ['auth:admin'])) this.logger.log(`seeded admin user ${admin.email}`);
    }
    for (const client of this.config.auth.seedClients) {
      const seeded = await this.clients.upsert(client);
      if (seeded.enabled) this.logger.log(`seeded client ${client.clientId} (audiences: ${client.audiences.join(', ')})`);
      else this.logger.warn(`client ${client.clientId} is in AUTH_SEED_CLIENTS but was disabled by an operator: it stays disabled`);
    }
  }
}
