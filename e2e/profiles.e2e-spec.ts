import { type TestApp, newTestApp } from '@authmesh/testing';
import { randomBytes } from 'node:crypto';
import { authApp } from '../apps/auth/src/auth.app.js';
import { call, newUser, serviceToken } from './support/http.js';
import { type ProfilesConfig, profilesApp } from '../apps/profiles/src/profiles.app.js';

/** Profiles behind real auth-issued tokens: users' own profiles, service callers, admin listing. */
describe('profiles (e2e, with auth)', () => {
  const ISSUER = 'http://auth.test';
  const client = (clientId: string, scopes: string[]) => ({
    clientId,
    secret: `${clientId}-${randomBytes(24).toString('base64url')}`,
    scopes,
    audiences: ['profiles'],
  });
  const orders = client('orders', ['profiles:read']);
  const writer = client('writer', ['profiles:write']);
  const stranger = client('stranger', ['profiles:read']);
  const adminTool = client('admin-tool', ['profiles:admin']);
  const address = { line1: '221B Baker Street', city: 'London', postalCode: 'NW1 6XE', country: 'gb' };
  let auth: TestApp;
  let profiles: TestApp<ProfilesConfig>;
  const tokenOf = (c: typeof orders) => serviceToken(auth.url, c.clientId, c.secret, 'profiles');

  beforeAll(async () => {
    auth = await newTestApp(authApp, {
      AUTH_KEK: randomBytes(32).toString('base64'),
      AUTH_ISSUER: ISSUER,
      AUTH_SEED_CLIENTS: JSON.stringify([orders, writer, stranger, adminTool]),
    });
    profiles = await newTestApp(profilesApp, { AUTH_ISSUER: ISSUER, AUTH_JWKS_URI: `${auth.url}/.well-known/jwks.json` });
  });
  afterAll(async () => {
    await profiles?.close();
    await auth?.close();
  });

  describe('GET/PUT /profiles/me', () => {
    it('creates an empty profile on first access', async () => {
      const user = await newUser(auth.url, 'first');
      const res = await call(`${profiles.url}/profiles/me`, { token: user.token });
      expect(res).toMatchObject({ status: 200, body: { userId: user.userId, displayName: null, shippingAddress: null } });
      expect((await call(`${profiles.url}/profiles/me`, { token: user.token })).body).toEqual(res.body);
    });

    it('replaces the profile and normalises the country code', async () => {
      const user = await newUser(auth.url, 'mover');
      const put = await call(`${profiles.url}/profiles/me`, {
        method: 'PUT',
        token: user.token,
        body: { displayName: ' Sherlock ', shippingAddress: address },
      });
      expect(put).toMatchObject({ status: 200, body: { displayName: 'Sherlock', shippingAddress: { ...address, country: 'GB' } } });
      const get = await call(`${profiles.url}/profiles/me`, { token: user.token });
      expect(get.body).toMatchObject({ userId: user.userId, displayName: 'Sherlock', shippingAddress: { ...address, country: 'GB' } });
    });

    it('rejects invalid and unknown fields with 400 naming each one', async () => {
      const user = await newUser(auth.url, 'typo');
      const res = await call(`${profiles.url}/profiles/me`, {
        method: 'PUT',
        token: user.token,
        body: { displayName: '', shippingAddress: { line1: 'x', city: 'y', postalCode: '1', country: 'XX', floor: 3 }, isAdmin: true },
      });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('validation_failed');
      const fields = (res.body.details as { fields: { field: string }[] }).fields.map((f) => f.field);
      expect(fields).toEqual(
        expect.arrayContaining([
          'displayName',
          'isAdmin',
          'shippingAddress.country',
          'shippingAddress.postalCode',
          'shippingAddress.floor',
        ]),
      );
    });
  });

  describe('GET /profiles/:userId (service callers only)', () => {
    let user: { userId: string; token: string };
    beforeAll(async () => {
      user = await newUser(auth.url, 'target');
      await call(`${profiles.url}/profiles/me`, { method: 'PUT', token: user.token, body: { displayName: 'T', shippingAddress: address } });
    });

    it('answers 403 to a user token, even one with profiles:read', async () => {
      const res = await call(`${profiles.url}/profiles/${user.userId}`, { token: user.token });
      expect(res).toMatchObject({ status: 403, body: { code: 'service_token_required' } });
    });

    it('answers 403 insufficient_scope to a service token without profiles:read', async () => {
      const res = await call(`${profiles.url}/profiles/${user.userId}`, { token: await tokenOf(writer) });
      expect(res).toMatchObject({ status: 403, body: { code: 'insufficient_scope' } });
    });

    it('answers 403 to a service with profiles:read that is not in PROFILES_SERVICE_CLIENTS', async () => {
      const res = await call(`${profiles.url}/profiles/${user.userId}`, { token: await tokenOf(stranger) });
      expect(res).toMatchObject({ status: 403, body: { code: 'client_not_allowed' } });
    });

    it("gives the orders service's token the user's profile", async () => {
      const token = await tokenOf(orders);
      const res = await call(`${profiles.url}/profiles/${user.userId}`, { token });
      expect(res).toMatchObject({ status: 200, body: { userId: user.userId, shippingAddress: { ...address, country: 'GB' } } });
      const missing = await call(`${profiles.url}/profiles/no-such-user`, { token });
      expect(missing).toMatchObject({ status: 404, body: { code: 'profile_not_found' } });
    });
  });

  describe('GET /profiles (admin)', () => {
    it('lists every profile with cursor pagination for profiles:admin, and 403 for anyone else', async () => {
      for (let i = 0; i < 3; i++) await call(`${profiles.url}/profiles/me`, { token: (await newUser(auth.url, `listed${i}`)).token });
      const token = await tokenOf(adminTool);
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Awaited<ReturnType<typeof call<{ items: { userId: string }[]; nextCursor: string | null }>>> = await call(
          `${profiles.url}/profiles?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
          { token },
        );
        expect(page.status).toBe(200);
        expect(page.body.items.length).toBeLessThanOrEqual(2);
        ids.push(...page.body.items.map((p) => p.userId));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(ids.length).toBeGreaterThanOrEqual(3);
      expect(new Set(ids).size).toBe(ids.length);
      expect([...ids].sort()).toEqual(ids);

      expect(await call(`${profiles.url}/profiles?limit=500`, { token })).toMatchObject({
        status: 400,
        body: { code: 'validation_failed' },
      });
      expect(await call(`${profiles.url}/profiles?cursor=%21%21`, { token })).toMatchObject({ status: 400 });
      const user = await newUser(auth.url, 'nosy');
      expect(await call(`${profiles.url}/profiles`, { token: user.token })).toMatchObject({
        status: 403,
        body: { code: 'insufficient_scope' },
      });
    });
  });
});
