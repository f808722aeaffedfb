import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { GRANT_CLIENT_CREDENTIALS } from '@authmesh/contracts';
import type { EntityManager, Repository } from 'typeorm';
import { SecretHasher } from '../crypto/secrets.js';
import { InvalidClient } from '../oauth/oauth.errors.js';
import { ClientEntity } from './client.entity.js';

const UNIQUE_VIOLATION = '23505';

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

  /**
   * Creates the client (enabled), or updates its secret, scopes, audiences and grant types when it
   * exists. Never touches `enabled`: a client an operator disabled (a leaked secret) must stay
   * disabled when auth restarts and re-applies AUTH_SEED_CLIENTS.
   */
  async upsert(spec: ClientSpec): Promise<ClientEntity> {
    const { secret, ...rest } = spec;
    const row = this.clients.create({
      ...rest,
      grantTypes: spec.grantTypes ?? [GRANT_CLIENT_CREDENTIALS],
      secretHash: await this.hasher.hash(secret),
      enabled: true,
    });
    await this.clients
      .createQueryBuilder()
      .insert()
      .into(ClientEntity)
      .values(row)
      .orUpdate(['secret_hash', 'scopes', 'audiences', 'grant_types'], ['client_id'])
      .execute();
    return (await this.clients.findOneByOrFail({ clientId: spec.clientId }))!;
  }

  /** Creates a client; `null` when the client id is taken (the existing client is left untouched). */
  async create(spec: ClientSpec): Promise<ClientEntity | null> {
    const { secret, ...rest } = spec;
    const row = this.clients.create({
      ...rest,
      grantTypes: spec.grantTypes ?? [GRANT_CLIENT_CREDENTIALS],
      secretHash: await this.hasher.hash(secret),
      enabled: true,
    });
    try {
      // insert, not save: save would turn a taken id into an update of someone else's client.
      await this.clients.insert(row);
    } catch (e) {
      if ((e as { code?: string }).code === UNIQUE_VIOLATION) return null;
      throw e;
    }
    return this.clients.findOneByOrFail({ clientId: spec.clientId });
  }

  /** Every client, oldest first. */
  list(): Promise<ClientEntity[]> {
    return this.clients.find({ order: { createdAt: 'ASC', clientId: 'ASC' } });
  }

  /** Returns false when there is no such client. */
  async setEnabled(clientId: string, enabled: boolean, tx?: EntityManager): Promise<boolean> {
    const result = await (tx ? tx.getRepository(ClientEntity) : this.clients).update({ clientId }, { enabled });
    return (result.affected ?? 0) > 0;
  }

  /** Checks client credentials; unknown client, wrong secret and disabled client answer the same. */
  async authenticate(clientId: string, secret: string): Promise<ClientEntity> {
    const client = await this.clients.findOne({ where: { clientId } });
    const ok = await this.hasher.verify(client?.secretHash, secret);
    if (!ok || !client || !client.enabled) throw new InvalidClient();
    return client;
  }
}
