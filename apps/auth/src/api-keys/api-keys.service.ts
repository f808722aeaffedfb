import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Counter } from 'prom-client';
import type { DataSource, EntityManager } from 'typeorm';
import { type ApiKeyView as ApiKeyViewContract, type CreatedApiKeyView, MAX_CLOCK_TOLERANCE_SECONDS } from '@authmesh/contracts';
import { type FieldProblem, InjectConfig, MetricsService, RequestValidationError } from '@authmesh/platform';
import type { RevocationEvent } from '@authmesh/revocation';
import { UserEntity } from '../accounts/user.entity.js';
import { ClientEntity } from '../clients/client.entity.js';
import type { AuthConfig } from '../config/auth.config.js';
import { withExchangedTokens } from '../revocation/exchanged-token-links.js';
import { RevocationOutbox } from '../revocation/revocation-outbox.service.js';
import { isPrivilegedScope } from '../tokens/privileged-scopes.js';
import { addressAllowed, allowListProblems } from './address-allow-list.js';
import { displayPrefixOf, generateApiKey, isWellFormedApiKey } from './api-key-format.js';
import { ApiKeyHasher } from './api-key-hasher.js';
import { ApiKeyEntity, type ApiKeyOwnerType } from './api-key.entity.js';
import { ApiKeyNotActiveError, ApiKeyNotFoundError } from './api-keys.errors.js';

/** Whose key: a user id or a client id. */
export interface ApiKeyOwner {
  type: ApiKeyOwnerType;
  id: string;
}

export interface ApiKeySpec {
  name: string;
  scopes: string[];
  audiences: string[];
  expiresAt?: Date;
  allowedCidrs?: string[];
}

export type ApiKeyView = ApiKeyViewContract;
export type CreatedApiKey = CreatedApiKeyView;

/** Why a check failed: the label of `api_key_checks_total`; the caller only ever learns "invalid". */
export type ApiKeyCheckOutcome =
  'ok' | 'malformed' | 'unknown' | 'revoked' | 'expired' | 'owner_disabled' | 'address' | 'audience' | 'scope';

/** A key that passed every check of its own (audience and scope are the exchange's to judge). */
export interface CheckedApiKey {
  key: ApiKeyEntity;
  /** The owner's current rights: a key never grants more than its owner has today. */
  ownerScopes: string[];
}

/** `last_used_at` is written at most this often per key: a hot key must not become a hot row. */
const LAST_USED_RESOLUTION_MS = 60_000;
/** The revocation-ledger "subject" every token issued for a key is linked to (exchanged_tokens.subject_jti). */
export const apiKeyLinkId = (keyId: string): string => `apikey:${keyId}`;
/** Audiences a key may never carry: auth's own API (accounts, keys, admin) stays behind a login. */
const NEVER_KEY_AUDIENCES = new Set(['auth']);

/** A check that failed, with its outcome (counted, logged) — the token endpoint answers every one as invalid_grant. */
export class ApiKeyRefused extends Error {
  constructor(readonly outcome: ApiKeyCheckOutcome) {
    super(`api key refused: ${outcome}`);
  }
}

/**
 * API keys: created for a user or a client with rights no wider than the owner's, stored only as a
 * keyed hash, checked by one indexed lookup, revoked and rotated. Revoking a key (or the end of a
 * rotation's grace) kills the tokens issued for it: each is linked to `apikey:<id>` in
 * exchanged_tokens, and the revocation of that id goes through the outbox, which extends it to
 * every linked jti (the same path as a revoked subject token of an RFC 8693 exchange).
 */
@Injectable()
export class ApiKeysService {
  private readonly checks: Counter<'outcome'>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly hasher: ApiKeyHasher,
    private readonly outbox: RevocationOutbox,
    @InjectConfig() private readonly config: AuthConfig,
    metrics: MetricsService,
  ) {
    this.checks = new Counter({
      name: 'api_key_checks_total',
      help: 'API keys checked at auth (token exchange), by outcome',
      labelNames: ['outcome'],
      registers: [metrics.registry],
    });
  }

  /** Counts one check's outcome (the exchange counts audience and scope refusals it finds itself). */
  count(outcome: ApiKeyCheckOutcome): void {
    this.checks.inc({ outcome });
  }

  async create(owner: ApiKeyOwner, spec: ApiKeySpec, now = new Date(), tx?: EntityManager): Promise<CreatedApiKey> {
    const manager = tx ?? this.db.manager;
    const rights = await this.ownerRights(manager, owner);
    const problems: FieldProblem[] = [];
    if (!rights) problems.push({ field: 'ownerId', problems: [`no enabled ${owner.type} with this id`] });
    else {
      const wider = spec.scopes.filter((s) => !rights.scopes.includes(s));
      if (wider.length) problems.push({ field: 'scopes', problems: [`not allowed for this owner: ${wider.join(' ')}`] });
      const foreign = spec.audiences.filter((a) => !rights.audiences.includes(a));
      if (foreign.length) problems.push({ field: 'audiences', problems: [`not allowed for this owner: ${foreign.join(' ')}`] });
    }
    const cidrProblems = allowListProblems(spec.allowedCidrs ?? []);
    if (cidrProblems.length) problems.push({ field: 'allowedCidrs', problems: cidrProblems });
    if (spec.expiresAt !== undefined && spec.expiresAt.getTime() <= now.getTime())
      problems.push({ field: 'expiresAt', problems: ['must be in the future'] });
    if (problems.length) throw new RequestValidationError(problems);
    const key = generateApiKey();
    const row = manager.create(ApiKeyEntity, {
      name: spec.name,
      displayPrefix: displayPrefixOf(key),
      secretHash: this.hasher.hash(key),
      ownerType: owner.type,
      ownerId: owner.id,
      scopes: [...new Set(spec.scopes)],
      audiences: [...new Set(spec.audiences)],
      allowedCidrs: spec.allowedCidrs ?? [],
      expiresAt: spec.expiresAt ?? null,
      lastUsedAt: null,
      revokedAt: null,
      replacedBy: null,
      createdAt: now,
    });
    const saved = await manager.save(ApiKeyEntity, row);
    return { ...apiKeyView(saved), key };
  }

  /** Keys of one owner, or every key (admin without a filter), newest first. */
  async list(owner?: ApiKeyOwner): Promise<ApiKeyView[]> {
    const rows = await this.db.getRepository(ApiKeyEntity).find({
      where: owner ? { ownerType: owner.type, ownerId: owner.id } : {},
      order: { createdAt: 'DESC' },
      take: 1000,
    });
    return rows.map(apiKeyView);
  }

  /**
   * Revokes a key (of `owner` when given) and every token issued for it, in one transaction with
   * the ledger row; delivered to the blocklist right after commit. Idempotent.
   */
  async revoke(id: string, owner?: ApiKeyOwner, now = new Date()): Promise<ApiKeyView> {
    const view = await this.db.transaction(async (tx) => {
      const key = await this.lockedKey(tx, id, owner);
      if (key.revokedAt === null) {
        key.revokedAt = now;
        await tx.update(ApiKeyEntity, { id: key.id }, { revokedAt: now });
        await this.outbox.record(tx, [this.revocationEvent(key.id, now)]);
      }
      return apiKeyView(key);
    });
    await this.outbox.deliver();
    return view;
  }

  /**
   * Rotation: a new key with the same name, owner and rights, and the old one expiring after
   * `graceSeconds` (0: revoked now), so a deployment can switch without a failed request. The
   * tokens of the old key never outlive its new expiry (the exchange caps them at it).
   */
  async rotate(id: string, graceSeconds: number, owner?: ApiKeyOwner, now = new Date()): Promise<CreatedApiKey> {
    const max = this.config.auth.apiKeyMaxGraceSeconds;
    if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > max)
      throw new RequestValidationError([
        { field: 'graceSeconds', problems: [`must be an integer from 0 to ${max} (AUTH_API_KEY_MAX_GRACE_S)`] },
      ]);
    const created = await this.db.transaction(async (tx) => {
      const old = await this.lockedKey(tx, id, owner);
      if (old.revokedAt !== null || (old.expiresAt !== null && old.expiresAt.getTime() <= now.getTime()))
        throw new ApiKeyNotActiveError(id);
      const fresh = await this.create(
        { type: old.ownerType, id: old.ownerId },
        {
          name: old.name,
          scopes: old.scopes,
          audiences: old.audiences,
          allowedCidrs: old.allowedCidrs,
          ...(old.expiresAt ? { expiresAt: old.expiresAt } : {}),
        },
        now,
        tx,
      );
      const graceEnd = new Date(now.getTime() + graceSeconds * 1000);
      const expiresAt = old.expiresAt !== null && old.expiresAt < graceEnd ? old.expiresAt : graceEnd;
      if (graceSeconds === 0) {
        await tx.update(ApiKeyEntity, { id: old.id }, { revokedAt: now, replacedBy: fresh.id });
        await this.outbox.record(tx, [this.revocationEvent(old.id, now)]);
      } else {
        await tx.update(ApiKeyEntity, { id: old.id }, { expiresAt, replacedBy: fresh.id });
        // Tokens already issued for the old key may outlive the grace (new ones are capped at it):
        // revoke them now; the gateway then exchanges the old key again and gets a capped token.
        // Not `apikey:<id>` itself: that would refuse the old key during its grace.
        const acceptedAfter = new Date(now.getTime() - MAX_CLOCK_TOLERANCE_SECONDS * 1000);
        const [, ...issued] = await withExchangedTokens(tx, [this.revocationEvent(old.id, now)], acceptedAfter);
        await this.outbox.record(tx, issued);
      }
      return fresh;
    });
    await this.outbox.deliver();
    return created;
  }

  /**
   * The checks of a presented key, cheapest first: the format and checksum offline (a guess or a
   * typo costs no hash and no query), then one HMAC and one indexed SELECT, then the key's own
   * state, the caller's address against its allow-list, and its owner. Throws ApiKeyRefused with
   * the reason (counted); the caller never tells anyone which one.
   */
  async check(presented: string, address: string | undefined, now = new Date()): Promise<CheckedApiKey> {
    try {
      if (!isWellFormedApiKey(presented)) throw new ApiKeyRefused('malformed');
      const key = await this.db.getRepository(ApiKeyEntity).findOne({ where: { secretHash: this.hasher.hash(presented) } });
      if (!key) throw new ApiKeyRefused('unknown');
      if (key.revokedAt !== null) throw new ApiKeyRefused('revoked');
      // Within a second of its expiry too: a token needs at least a second of lifetime (iat has whole seconds).
      if (key.expiresAt !== null && key.expiresAt.getTime() <= now.getTime() + 1000) throw new ApiKeyRefused('expired');
      if (!addressAllowed(key.allowedCidrs, address)) throw new ApiKeyRefused('address');
      const rights = await this.ownerRights(this.db.manager, { type: key.ownerType, id: key.ownerId });
      if (!rights) throw new ApiKeyRefused('owner_disabled');
      await this.touch(key, now);
      return { key, ownerScopes: rights.scopes };
    } catch (e) {
      if (e instanceof ApiKeyRefused) this.count(e.outcome);
      throw e;
    }
  }

  /** `last_used_at`, at most once a minute per key (a conditional UPDATE: replicas don't race it backwards). */
  private async touch(key: ApiKeyEntity, now: Date): Promise<void> {
    if (key.lastUsedAt !== null && now.getTime() - key.lastUsedAt.getTime() < LAST_USED_RESOLUTION_MS) return;
    await this.db.query(`UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)`, [
      key.id,
      now,
      new Date(now.getTime() - LAST_USED_RESOLUTION_MS),
    ]);
  }

  /**
   * What the owner may hand to a key: a user what a login gets (AUTH_USER_SCOPES and its own extra
   * scopes) for the user audiences; a client its registered scopes and audiences. Never a
   * privileged scope (auth:admin, auth:introspect) and never audience `auth`: a leaked key must not
   * manage accounts or keys. Undefined for an owner that does not exist or is disabled.
   */
  private async ownerRights(m: EntityManager, owner: ApiKeyOwner): Promise<{ scopes: string[]; audiences: string[] } | undefined> {
    const keep = (scopes: string[], audiences: string[]) => ({
      scopes: [...new Set(scopes)].filter((s) => !isPrivilegedScope(s)),
      audiences: [...new Set(audiences)].filter((a) => !NEVER_KEY_AUDIENCES.has(a)),
    });
    if (owner.type === 'user') {
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(owner.id)) return undefined;
      const user = await m.findOne(UserEntity, { where: { id: owner.id }, select: { id: true, disabled: true, extraScopes: true } });
      if (!user || user.disabled) return undefined;
      return keep([...this.config.auth.userScopes, ...user.extraScopes], this.config.auth.userAudiences);
    }
    const client = await m.findOne(ClientEntity, {
      where: { clientId: owner.id },
      select: { clientId: true, enabled: true, scopes: true, audiences: true },
    });
    if (!client?.enabled) return undefined;
    return keep(client.scopes, client.audiences);
  }

  private async lockedKey(tx: EntityManager, id: string, owner?: ApiKeyOwner): Promise<ApiKeyEntity> {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw new ApiKeyNotFoundError(id);
    const key = await tx.findOne(ApiKeyEntity, {
      where: owner ? { id, ownerType: owner.type, ownerId: owner.id } : { id },
      lock: { mode: 'pessimistic_write' },
    });
    if (!key) throw new ApiKeyNotFoundError(id);
    return key;
  }

  /** The ledger entry that kills every token issued for the key: it lives as long as the longest of them could. */
  private revocationEvent(keyId: string, now: Date): RevocationEvent {
    const ttlMs = (this.config.auth.apiKeyTokenTtlSeconds + MAX_CLOCK_TOLERANCE_SECONDS) * 1000;
    return { kind: 'jti', jti: apiKeyLinkId(keyId), expiresAtMs: now.getTime() + ttlMs };
  }
}

export function apiKeyView(key: ApiKeyEntity): ApiKeyView {
  return {
    id: key.id,
    name: key.name,
    prefix: key.displayPrefix,
    owner: { type: key.ownerType, id: key.ownerId },
    scopes: key.scopes,
    audiences: key.audiences,
    allowedCidrs: key.allowedCidrs,
    expiresAt: key.expiresAt?.toISOString() ?? null,
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
    replacedBy: key.replacedBy,
    createdAt: key.createdAt.toISOString(),
  };
}
