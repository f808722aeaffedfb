import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { call, type JsonResponse } from '@authmesh/testing';

export { call, type JsonResponse };

/** Registers a fresh user at auth and logs in: `{ userId, token }`. */
export async function newUser(authUrl: string, label: string): Promise<{ userId: string; token: string }> {
  const email = `${label}-${randomBytes(5).toString('hex')}@example.com`;
  const password = 'a long enough passphrase';
  const reg = await call(`${authUrl}/auth/register`, { body: { email, password } });
  if (reg.status !== 202) throw new Error(`register answered ${reg.status}: ${JSON.stringify(reg.body)}`);
  const login = await call<{ access_token: string }>(`${authUrl}/auth/login`, { body: { email, password } });
  if (login.status !== 200) throw new Error(`login answered ${login.status}: ${JSON.stringify(login.body)}`);
  // Registration answers the same for every address (no id in it): the user id is the token's `sub`.
  return { userId: decodeJwt(login.body.access_token).sub!, token: login.body.access_token };
}

/** A client-credentials token from auth's token endpoint. */
export async function serviceToken(authUrl: string, clientId: string, secret: string, audience: string): Promise<string> {
  const res = await call<{ access_token: string }>(`${authUrl}/oauth/token`, {
    body: { grant_type: 'client_credentials', client_id: clientId, client_secret: secret, audience },
  });
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.access_token;
}
