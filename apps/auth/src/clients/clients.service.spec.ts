import type { RevocationStore } from '@authmesh/revocation';
import type { Repository } from 'typeorm';
import type { ClientSecretHasher } from '../crypto/client-secret-hasher.js';
import { InvalidClient } from '../oauth/oauth.errors.js';
import type { ClientEntity } from './client.entity.js';
import { ClientRecordCache } from './client-record-cache.js';
import { ClientsService } from './clients.service.js';

const T0 = Date.parse('2026-03-01T12:00:00Z');
const refused = (): Error => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

const row = (over: Partial<ClientEntity> = {}): ClientEntity => ({
  clientId: 'orders',
  dpopBoundAccessTokens: false,
  secretHash: 'hash-of:s3cret',
  tokenEndpointAuthMethod: 'client_secret_basic',
  jwks: null,
  scopes: ['profiles:read'],
  audiences: ['profiles'],
  grantTypes: ['client_credentials'],
  redirectUris: [],
  postLogoutRedirectUris: [],
  firstParty: false,
  enabled: true,
  createdAt: new Date(T0 - 86_400_000),
  ...over,
});

/**
 * The service over a table the test controls (`db.down` makes every read fail as a stopped
 * Postgres does), a hasher that compares plainly, a revocation store holding subject revocations,
 * and the cache on a fake clock.
 */
function service(options: { listening?: boolean } = {}) {
  const clock = { ms: T0 };
  const db = { rows: new Map([['orders', row()]]), down: false as boolean | Error };
  const store = { subjects: new Map<string, number>(), down: false, announced: [] as string[] };
  const repo: Pick<Repository<ClientEntity>, 'findOne'> = {
    findOne: async (options) => {
      if (db.down) throw db.down === true ? refused() : db.down;
      const id = (options.where as { clientId: string }).clientId;
      return db.rows.get(id) ?? null;
    },
  };
  const hasher: Pick<ClientSecretHasher, 'verify'> = { verify: async (_id, stored, secret) => ({ ok: stored === `hash-of:${secret}` }) };
  const revocations: Pick<RevocationStore, 'subjectRevokedAt' | 'announceClientChange'> = {
    subjectRevokedAt: async (sub) => {
      if (store.down) throw new Error('Redis is down');
      const ms = store.subjects.get(sub);
      return ms === undefined ? undefined : new Date(ms);
    },
    announceClientChange: async (clientId) => void store.announced.push(clientId),
  };
  const cache = new ClientRecordCache({ maxStaleMs: 300_000, now: () => clock.ms });
  const clients = new ClientsService(repo as Repository<ClientEntity>, hasher as ClientSecretHasher, cache, revocations as RevocationStore);
  clients.useCacheWhile(() => options.listening ?? true);
  return { clients, clock, db, store };
}

const cached = { cachedWhenDatabaseDown: true } as const;

describe('ClientsService: client credentials while the database is away', () => {
  it('checks the credentials against the record read before the outage, up to the staleness bound', async () => {
    const { clients, clock, db } = service();
    await clients.authenticate('orders', 's3cret', cached);
    db.down = true;
    clock.ms += 300_000;
    await expect(clients.authenticate('orders', 's3cret', cached)).resolves.toMatchObject({
      clientId: 'orders',
      scopes: ['profiles:read'],
    });
    await expect(clients.authenticate('orders', 'wrong', cached)).rejects.toBeInstanceOf(InvalidClient);
    clock.ms += 1;
    await expect(clients.authenticate('orders', 's3cret', cached)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('falls back only where the caller allows it (client_credentials), never for other grants', async () => {
    const { clients, db } = service();
    await clients.authenticate('orders', 's3cret', cached);
    db.down = true;
    await expect(clients.authenticate('orders', 's3cret')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('does not use the cache while the revocation feed is not synced (a change could be missed)', async () => {
    const { clients, db } = service({ listening: false });
    await clients.authenticate('orders', 's3cret', cached);
    db.down = true;
    await expect(clients.authenticate('orders', 's3cret', cached)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('refuses a cached client whose subject was revoked after the record was read (a missed disable)', async () => {
    const { clients, clock, db, store } = service();
    await clients.authenticate('orders', 's3cret', cached);
    db.down = true;
    // Disabling a client revokes its sub up to a minute ahead; another instance did it, the announcement was lost.
    store.subjects.set('orders', clock.ms + 60_000);
    await expect(clients.authenticate('orders', 's3cret', cached)).rejects.toBeInstanceOf(InvalidClient);
  });

  it('answers the outage (503) rather than trust the record when Redis is away too', async () => {
    const { clients, db, store } = service();
    await clients.authenticate('orders', 's3cret', cached);
    db.down = true;
    store.down = true;
    await expect(clients.authenticate('orders', 's3cret', cached)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('never covers a bug with the cache: a query error that is no outage is thrown as is', async () => {
    const { clients, db } = service();
    await clients.authenticate('orders', 's3cret', cached);
    db.down = Object.assign(new Error('column "nope" does not exist'), { code: '42703' });
    await expect(clients.authenticate('orders', 's3cret', cached)).rejects.toMatchObject({ code: '42703' });
  });

  it('refuses a client disabled before the outage as invalid_client: the change re-reads it, and the disable survives the announcement', async () => {
    const { clients, db, store } = service();
    await clients.authenticate('orders', 's3cret', cached);
    db.rows.set('orders', row({ enabled: false }));
    await clients.changed('orders');
    expect(store.announced).toEqual(['orders']);
    // The instance's own announcement comes back on the feed after the database went away.
    db.down = true;
    await clients.onAnnouncedChange('orders');
    await expect(clients.authenticate('orders', 's3cret', cached)).rejects.toBeInstanceOf(InvalidClient);
  });

  it('drops a record whose client changed elsewhere when it cannot be re-read: 503, not the old secret', async () => {
    const { clients, db } = service();
    await clients.authenticate('orders', 's3cret', cached);
    db.down = true;
    await clients.onAnnouncedChange('orders');
    await expect(clients.authenticate('orders', 's3cret', cached)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
