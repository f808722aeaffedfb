import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { SecretHasher } from '../crypto/secrets.js';
import { InvalidClient } from '../oauth/oauth.errors.js';
import { ClientEntity } from './client.entity.js';

export interface ClientSpec {
  clientId: string;
  secret: string;
  scopes: string[];
  audiences: string[];
}

@Injectable()
export class ClientsService {
  constructor(
    @InjectRepository(ClientEntity) private readonly clients: Repository<ClientEntity>,
    private readonly hasher: SecretHasher,
  ) {}

  /** Creates the client, or updates its secret, scopes and audiences when it exists. */
  async upsert(spec: ClientSpec): Promise<ClientEntity> {
    const row = this.clients.create({ ...spec, secretHash: await this.hasher.hash(spec.secret), enabled: true });
    await this.clients.upsert(row, ['clientId']);
    return (await this.clients.findOneByOrFail({ clientId: spec.clientId }))!;
  }

  /** Checks client credentials; unknown client, wrong secret and disabled client answer the same. */
  async authenticate(clientId: string, secret: string): Promise<ClientEntity> {
    const client = await this.clients.findOne({ where: { clientId } });
    const ok = await this.hasher.verify(client?.secretHash, secret);
    if (!ok || !client || !client.enabled) throw new InvalidClient();
    return client;
  }
}
