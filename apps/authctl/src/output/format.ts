import { GRANT_TYPE_URN_PREFIX } from '@authmesh/contracts';
import Table from 'cli-table3';
import type {
  ClientView,
  CreatedClientView,
  DisabledClient,
  KeyEventView,
  KeyView,
  Revocation,
  RevokeKeyResult,
  RotateResult,
} from '@authmesh/contracts';

/**
 * Human output of every command. Pure functions of the API's answers (the `--json` output is the
 * answer itself), so they are unit-tested without a terminal.
 */

/** An ISO timestamp to the second (`2026-11-25T14:41:07Z`), or `-`. */
export function isoSeconds(value: string | null | undefined): string {
  if (!value) return '-';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function table(head: string[], rows: string[][]): string {
  // No colours: output is read in terminals, CI logs and pipes alike.
  const t = new Table({ head, style: { head: [], border: [], compact: true } });
  t.push(...rows);
  return t.toString();
}

/** When a key starts (or started) signing: its activation, or the planned one. */
const activates = (k: KeyView): string | null => k.activatedAt ?? k.activatesAt;
/** When a key leaves (or left) the JWKS: retired, revoked, or the planned retirement. */
const retires = (k: KeyView): string | null => k.retiredAt ?? k.revokedAt ?? k.retireAfter;

/** `keys list`: kid, state, created, activates, retires (newest first, as auth answers). */
export function keysTable(keys: readonly KeyView[]): string {
  if (keys.length === 0) return 'No signing keys.';
  return table(
    ['kid', 'state', 'created', 'activates', 'retires'],
    keys.map((k) => [k.kid, k.state, isoSeconds(k.createdAt), isoSeconds(activates(k)), isoSeconds(retires(k))]),
  );
}

/** `keys rotate`: what signs now and what happens next. */
export function rotateLines(result: RotateResult): string {
  const { key, previous } = result;
  if (key.state === 'active') {
    const prev = previous
      ? `\nPrevious key ${previous.kid} is ${previous.state}, published until ${isoSeconds(previous.retireAfter)}.`
      : '';
    return `Key ${key.kid} signs from now on (a verifier that has not cached it yet fetches it on first sight of its kid).${prev}`;
  }
  return (
    `Key ${key.kid} is ${key.state}: published in the JWKS now, signs from ${isoSeconds(key.activatesAt)}.` +
    `\n${previous ? `Key ${previous.kid}` : 'The active key'} keeps signing until then.`
  );
}

/** `keys revoke`. */
export function revokeKeyLines(result: RevokeKeyResult): string {
  return (
    `Revoked key ${result.revoked.kid}: removed from the JWKS, verifiers told to drop it; tokens it signed are refused.\n` +
    `Signing key is now ${result.active.kid}.`
  );
}

/** `keys events`: the audit log of key transitions. */
export function eventsTable(events: readonly KeyEventView[]): string {
  if (events.length === 0) return 'No key events.';
  return table(
    ['at', 'kid', 'transition', 'actor', 'reason'],
    events.map((e) => [isoSeconds(e.at), e.kid, `${e.fromState ?? '-'} → ${e.toState}`, e.actor ?? '-', e.reason ?? '-']),
  );
}

/** `clients list`. */
export function clientsTable(clients: readonly ClientView[]): string {
  if (clients.length === 0) return 'No clients.';
  return table(
    ['client', 'enabled', 'audiences', 'scopes', 'grant types', 'created'],
    clients.map((c) => [
      c.clientId,
      c.enabled ? 'yes' : 'no',
      c.audiences.join(' '),
      c.scopes.join(' ') || '-',
      c.grantTypes.map((g) => (g.startsWith(GRANT_TYPE_URN_PREFIX) ? g.slice(GRANT_TYPE_URN_PREFIX.length) : g)).join(' '),
      isoSeconds(c.createdAt),
    ]),
  );
}

/** `clients create`: the secret is shown this once; a private_key_jwt client has none. */
export function createdClientLines(c: CreatedClientView): string {
  const created = `Created client ${c.clientId} (audiences: ${c.audiences.join(' ')}; scopes: ${c.scopes.join(' ') || '-'}; grant types: ${c.grantTypes.join(' ')}).\n`;
  const redirects =
    (c.redirectUris.length ? `Redirect URIs: ${c.redirectUris.join(' ')}.\n` : '') +
    (c.dpopBoundAccessTokens ? 'DPoP required: every token request must carry a DPoP proof.\n' : '');
  if (c.tokenEndpointAuthMethod === 'none')
    return `${created}${redirects}A public client (${c.firstParty ? 'first-party' : 'third-party: consent asked'}): no secret, it proves itself by PKCE.`;
  if (c.clientSecret === undefined)
    return `${created}${redirects}It authenticates with private_key_jwt (keys: ${(c.jwks?.keys ?? []).map((k) => String(k.kid)).join(' ')}); it has no secret.`;
  return `${created}${redirects}Client secret (shown once, store it now): ${c.clientSecret}`;
}

/** `clients disable`. */
export function disabledClientLines(c: DisabledClient): string {
  return `Disabled client ${c.clientId}: the token endpoint refuses it, and every token it held is revoked.`;
}

/** `revoke`. */
export function revocationLines(r: Revocation, now = new Date()): string {
  if ('sub' in r) return `Revoked every token of subject ${r.sub} issued until now (and its refresh tokens).`;
  const until = new Date(r.exp * 1000);
  if (until.getTime() <= now.getTime())
    return `Token ${r.jti} already expired at ${isoSeconds(until.toISOString())}: nothing left to revoke.`;
  return `Revoked token ${r.jti}: refused everywhere until it expires at ${isoSeconds(until.toISOString())}.`;
}
