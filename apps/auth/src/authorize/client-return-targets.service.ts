import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ClientEntity } from '../clients/client.entity.js';
import { originOf } from './page-response.js';

/** The origins of every enabled client's registered redirect and post-logout URIs: where a `return_to` may point. */
@Injectable()
export class ClientReturnTargets {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async origins(): Promise<Set<string>> {
    const clients = await this.db.getRepository(ClientEntity).find({
      where: { enabled: true },
      select: { clientId: true, redirectUris: true, postLogoutRedirectUris: true },
    });
    const origins = new Set<string>();
    for (const c of clients)
      for (const uri of [...c.redirectUris, ...c.postLogoutRedirectUris]) {
        const origin = originOf(uri);
        if (origin) origins.add(origin);
      }
    return origins;
  }
}
