import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { GRANT_CLIENT_CREDENTIALS } from '@authmesh/contracts';
import { isDatabaseUnavailable } from '@authmesh/platform';
import type { RevocationStore } from '@authmesh/revocation';
import type { EntityManager, Repository } from 'typeorm';
import { ClientSecretHasher } from '../crypto/client-secret-hasher.js';
import { InvalidClient } from '../oauth/oauth.errors.js';
import type { ClientJwks } from '../oauth/client-jwks.js';
import { REVOCATION_STORE } from '../revocation/revocation-store.provider.js';
import { ClientEntity } from './client.entity.js';
import { type CachedClientRecord, ClientRecordCache } from './client-record-cache.js';

const UNIQUE_VIOLATION = '23505';

export interface ClientSpec {
  clientId: string;
  /** A secret client (`client_secret_basic`); exactly one of `secret` and `jwks`. */
  secret?: string;
  /** A `private_key_jwt` client (RFC 7523 §2.2): its public keys, already validated and normalized; it has no secret. */
  jwks?: ClientJwks;
  scopes: string[];
  audiences: string[];
  /** Default: `['client_credentials']`. */
  grantTypes?: string[];
  /** Authorization code flow: exact redirect URIs (checked by redirect-uri-rules.ts before they get here). */
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  /** Skips the consent page (default false: a third-party client). */
  firstParty?: boolean;
  /** RFC 9449 §5.2 `dpop_bound_access_tokens`: every token request must carry a DPoP proof (default false). */
  dpopBoundAccessTokens?: boolean;
  /** A public client (auth method `none`): neither `secret` nor `jwks`; it proves nothing but PKCE. */
  public?: boolean;
}

/** How `authenticate` may answer when the database can't be read. */
export interface AuthenticateOptions {
  /**
   * Check the credentials against the cached record (at most AUTH_CLIENT_CACHE_MAX_STALE_S old)
   * when the database is away. Only for grants that need nothing else from the database
   * (client_credentials): elsewhere the request would fail a step later anyway.
   */
  cachedWhenDatabaseDown?: boolean;
}

/** The method and keys columns of a spec: keys make it a private_key_jwt client. */
function credentialColumns(spec: ClientSpec): Pick<ClientEntity, 'tokenEndpointAuthMethod' | 'jwks'> {
  if (spec.public === true) return { tokenEndpointAuthMethod: 'none', jwks: null };
  return spec.jwks === undefined
    ? { tokenEndpointAuthMethod: 'client_secret_basic', jwks: null }
    : { tokenEndpointAuthMethod: 'private_key_jwt', jwks: spec.jwks };
}

/** The row of a spec (without its secret hash and `enabled`). */
function specColumns(spec: ClientSpec): Omit<ClientEntity, 'secretHash' | 'enabled' | 'createdAt'> {
  return {
    clientId: spec.clientId,
    scopes: spec.scopes,
    audiences: spec.audiences,
    grantTypes: spec.grantTypes ?? [GRANT_CLIENT_CREDENTIALS],
    redirectUris: spec.redirectUris ?? [],
    postLogoutRedirectUris: spec.postLogoutRedirectUris ?? [],
    firstParty: spec.firstParty ?? false,
    dpopBoundAccessTokens: spec.dpopBoundAccessTokens ?? false,
    ...credentialColumns(spec),
  };
}

@Injectable()
export class ClientsService {
  private readonly logger = new Logger('Clients');
  /** Clients already warned about a weak legacy secret (bounded by the number of clients). */
  private readonly weakLegacyWarned = new Set<string>();
  /** Whether the cache may be trusted now: false while the revocation feed that invalidates it is not synced and fresh. */
  private cacheListening: () => boolean = () => false;

  constructor(
    @InjectRepository(ClientEntity) private readonly clients: Repository<ClientEntity>,
    private readonly hasher: ClientSecretHasher,
    private readonly cache: ClientRecordCache,
    @Inject(REVOCATION_STORE) private readonly store: RevocationStore,
  ) {}

  /** Called by ClientChangeSubscriber (a listener on the revocation feed): the cache is used only while `listening()` says it hears every change. */
  useCacheWhile(listening: () => boolean): void {
    this.cacheListening = listening;
  }

  /**
   * Creates the client (enabled), or updates its secret, scopes, audiences, grant types, redirect
   * URIs and first-party flag when it
   * exists. Never touches `enabled`: a client an operator disabled (a leaked secret) must stay
   * disabled when auth restarts and re-applies AUTH_SEED_CLIENTS.
   */
  async upsert(spec: ClientSpec): Promise<ClientEntity> {
    const { secret } = spec;
    const row = this.clients.create({
      ...specColumns(spec),
      // Always the HMAC form: a seeded client still holding an argon2 hash is upgraded here.
      secretHash: secret === undefined ? null : this.hasher.hash(spec.clientId, secret),
      enabled: true,
    });
    await this.clients
      .createQueryBuilder()
      .insert()
      .into(ClientEntity)
      .values(row)
      .orUpdate(
        [
          'secret_hash',
          'token_endpoint_auth_method',
          'jwks',
          'scopes',
          'audiences',
          'grant_types',
          'redirect_uris',
          'post_logout_redirect_uris',
          'first_party',
          'dpop_bound_access_tokens',
        ],
        ['client_id'],
      )
      .execute();
    // The secret or scopes may have changed: no instance may keep checking against the old ones.
    await this.changed(spec.clientId);
    return (await this.clients.findOneByOrFail({ clientId: spec.clientId }))!;
  }

  /** Creates a client; `null` when the client id is taken (the existing client is left untouched). */
  async create(spec: ClientSpec): Promise<ClientEntity | null> {
    const { secret } = spec;
    const row = this.clients.create({
      ...specColumns(spec),
      secretHash: secret === undefined ? null : this.hasher.hash(spec.clientId, secret),
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

  /**
   * Checks client credentials; unknown client, wrong secret and disabled client answer the same,
   * after the same work (the secret is checked whether the client is enabled or not, against a dummy
   * when there is no client). The record read is remembered; with `cachedWhenDatabaseDown`, a
   * database outage falls back to it. A row still holding a legacy argon2 hash is re-hashed on success.
   */
  async authenticate(clientId: string, secret: string, options: AuthenticateOptions = {}): Promise<CachedClientRecord> {
    const client = await this.read(clientId, options.cachedWhenDatabaseDown === true);
    // A private_key_jwt client has no secret hash: the check runs against the dummy hash and fails,
    // so a secret presented for a key-based client is refused at the same cost as a wrong one.
    const check = await this.hasher.verify(clientId, client?.secretHash ?? undefined, secret);
    if (!check.ok || !client || !client.enabled) throw new InvalidClient();
    if (check.rehashed !== undefined && client.secretHash) await this.upgradeSecretHash(clientId, client.secretHash, check.rehashed);
    if (check.weakLegacy) this.warnWeakLegacySecret(clientId);
    return client;
  }

  /**
   * Replaces a legacy argon2 hash by its HMAC form, only if the row still holds that hash (a secret
   * changed meanwhile stays changed), then drops the cached records that hold the old one. Never
   * throws: the client has authenticated, and the next success tries again.
   */
  private async upgradeSecretHash(clientId: string, legacyHash: string, rehashed: string): Promise<void> {
    try {
      const result = await this.clients.update({ clientId, secretHash: legacyHash }, { secretHash: rehashed });
      if ((result.affected ?? 0) > 0) await this.changed(clientId);
    } catch (e) {
      this.logger.warn(`could not upgrade the secret hash of client ${clientId}: ${String(e)}`);
    }
  }

  /**
   * Once per client and process (not on every token request): its legacy argon2 row holds a secret
   * that fails the 128-bit rule, so it is not moved to the fast hash. Names the client, never the secret.
   */
  private warnWeakLegacySecret(clientId: string): void {
    if (this.weakLegacyWarned.has(clientId)) return;
    this.weakLegacyWarned.add(clientId);
    this.logger.warn(
      `client ${clientId} authenticates with a secret too weak for the HMAC hash (under 128 bits); its argon2 hash is kept: rotate its secret`,
    );
  }

  /**
   * The enabled `private_key_jwt` client `clientId`, whose registered keys will check its
   * assertion; invalid_client for an unknown, disabled or secret client (all answer the same).
   */
  async forAssertion(clientId: string, options: AuthenticateOptions = {}): Promise<CachedClientRecord & { jwks: ClientJwks }> {
    const client = await this.read(clientId, options.cachedWhenDatabaseDown === true);
    if (!client || !client.enabled || client.tokenEndpointAuthMethod !== 'private_key_jwt' || !client.jwks) throw new InvalidClient();
    return client as CachedClientRecord & { jwks: ClientJwks };
  }

  /**
   * The enabled public client (`token_endpoint_auth_method: none`) `clientId`, which names itself
   * with `client_id` alone; invalid_client for an unknown, disabled or confidential client (a
   * confidential client must prove itself, and naming it is not proof).
   */
  async forPublic(clientId: string): Promise<CachedClientRecord> {
    const client = await this.read(clientId, false);
    if (!client || !client.enabled || client.tokenEndpointAuthMethod !== 'none')
      throw new InvalidClient('Client authentication is required');
    return client;
  }

  /**
   * After a change to a client has committed (disabled, new secret, scopes, audiences or grant
   * types): drops its cached record here, re-reads it (so a client disabled just before an outage is
   * known as disabled, not merely unknown) and announces the change to every auth instance. Never
   * throws: the change is committed; an instance that misses the announcement still hears the
   * subject revocation the outbox replays, and never uses a record older than the staleness bound.
   */
  async changed(clientId: string): Promise<void> {
    this.cache.invalidate(clientId);
    await this.refresh(clientId);
    try {
      await this.store.announceClientChange(clientId, new Date());
    } catch (e) {
      this.logger.warn(`could not announce the change to client ${clientId}: ${String(e)}`);
    }
  }

  /** The feed is about to read the whole stream (first sync, lost events, a re-seed): announcements may have been lost with the data, so no record is trusted. */
  forgetCachedClients(): void {
    this.cache.invalidateAll();
  }

  /**
   * A change was announced (by this or another instance): drop the record, then re-read it if the
   * database answers. `onlyIfCached` for subject revocations: most subjects are users, not clients.
   */
  async onAnnouncedChange(clientId: string, onlyIfCached = false): Promise<void> {
    if (onlyIfCached && !this.cache.has(clientId)) return;
    this.cache.invalidate(clientId);
    await this.refresh(clientId);
  }

  /** Re-reads a client into the cache; a failure (the database away) leaves it uncached. */
  private async refresh(clientId: string): Promise<void> {
    await this.read(clientId, false).catch(() => undefined);
  }

  private async read(clientId: string, cachedWhenDatabaseDown: boolean): Promise<CachedClientRecord | null> {
    const read = this.cache.beginRead();
    try {
      const row = await this.clients.findOne({ where: { clientId } });
      if (row) this.cache.remember(row, read);
      else this.cache.forget(clientId);
      return row;
    } catch (e) {
      if (!cachedWhenDatabaseDown || !isDatabaseUnavailable(e) || !this.cacheListening()) throw e;
      const cached = this.cache.fresh(clientId);
      if (cached === undefined) throw e;
      await this.refuseIfRevokedSince(clientId, cached.readAtMs, e);
      return cached.record;
    }
  }

  /**
   * A subject revocation of the client newer than the cached record means it was disabled (or its
   * tokens revoked) after we read it, and an announcement was missed: any token issued now would be
   * refused by every verifier anyway. The revocation store unreachable too: nothing to rely on.
   */
  private async refuseIfRevokedSince(clientId: string, readAtMs: number, outage: unknown): Promise<void> {
    let since: Date | undefined;
    try {
      since = await this.store.subjectRevokedAt(clientId);
    } catch {
      throw outage;
    }
    if (since !== undefined && since.getTime() >= readAtMs) {
      this.cache.invalidate(clientId);
      throw new InvalidClient();
    }
  }
}
