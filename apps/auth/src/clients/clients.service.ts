import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { SecretHasher } from '../crypto/secrets.js';
import { InvalidClient } from '../oauth/oauth.errors.js';
import { ClientEntity } from './client.entity.js';

export const GRANT_CLIENT_CREDENTIALS = 'client_credentials';
/** RFC 8693 §2.1. */
export const GRANT_TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** Grant types a confidential client may be allowed (refresh_token belongs to the first-party user client). */
export const CLIENT_GRANT_TYPES = [GRANT_CLIENT_CREDENTIALS, GRANT_TOKEN_EXCHANGE] as const;

export interface ClientSpec {
  clientId: string;
  secret: string;
  scopes: string[];
  audiences: string[];
  /** Default: `['client_credentials']`. */
  grantTypes?: string[];
}

@Injectable()
export class ClientsService {
  constructor(
    @InjectRepository(ClientEntity) private readonly clients: Repository<ClientEntity>,
    private readonly hasher: SecretHasher,
  ) {}

  /** Creates the client, or updates its secret, scopes and audiences when it exists. */
  async upsert(spec: ClientSpec): Promise<ClientEntity> {
    const { secret, ...rest } = spec;
    const row = this.clients.create({
      ...rest,
      grantTypes: spec.grantTypes ?? [GRANT_CLIENT_CREDENTIALS],
      secretHash: await this.hasher.hash(secret),
      enabled: true,
    });
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
