import { reservedClientIdProblems, unknownCatalogueProblems } from './clients-admin.dto.js';

describe('reservedClientIdProblems', () => {
  it('accepts an ordinary service name', () => {
    expect(reservedClientIdProblems('billing-worker', 'authmesh')).toEqual([]);
  });

  it('refuses the first-party user client id, which users’ refresh tokens are bound to', () => {
    expect(reservedClientIdProblems('authmesh', 'authmesh')).toEqual([expect.stringContaining('reserved for the first-party user client')]);
  });

  it('refuses a UUID-shaped id, which could be a user’s subject', () => {
    expect(reservedClientIdProblems('0b6f9a52-3c4e-4a8e-9d7b-2f1e5c6d7a8b', 'authmesh')).toEqual([
      expect.stringContaining('must not look like a UUID'),
    ]);
    expect(reservedClientIdProblems('0B6F9A52-3C4E-4A8E-9D7B-2F1E5C6D7A8B', 'authmesh')).toHaveLength(1);
  });
});

describe('unknownCatalogueProblems', () => {
  const catalogue = { knownScopes: ['orders:read', 'auth:admin'], knownAudiences: ['orders', 'auth'] };

  it('accepts scopes and audiences the catalogue knows', () => {
    expect(unknownCatalogueProblems({ scopes: ['orders:read'], audiences: ['orders', 'auth'] }, catalogue)).toEqual([]);
  });

  it('names each field with an unknown value and lists the known ones', () => {
    expect(unknownCatalogueProblems({ scopes: ['nosuch:scope', 'orders:read'], audiences: ['billing'] }, catalogue)).toEqual([
      { field: 'scopes', problems: ['unknown scope "nosuch:scope"; known scopes: orders:read auth:admin'] },
      { field: 'audiences', problems: ['unknown audience "billing"; known audiences: orders auth'] },
    ]);
  });
});
