import { DpopProofReplayedError, DpopTokenAsBearerError } from '../core/dpop/errors.js';
import { MultipleCredentialsError, TokenExpiredError, TokenMissingError } from '../core/errors.js';
import { InsufficientScopeError, InvalidTokenHttpError } from './http-errors.js';

const ALGS = 'algs="ES256 EdDSA RS256 PS256"';

describe('token errors as HTTP answers', () => {
  it('answers 401 invalid_token with the public description', () => {
    const e = new InvalidTokenHttpError(new TokenExpiredError('exp 1 is before now'));
    expect(e.status).toBe(401);
    expect(e.code).toBe('token_expired');
    expect(e.headers['www-authenticate']).toBe('Bearer error="invalid_token", error_description="The access token has expired"');
    expect(e.detail).toBe('exp 1 is before now');
  });

  it('answers a request without credentials with a bare Bearer challenge (RFC 6750 §3.1) and a DPoP one naming the algs (RFC 9449 §7.1)', () => {
    const e = new InvalidTokenHttpError(new TokenMissingError());
    expect(e.status).toBe(401);
    expect(e.headers['www-authenticate']).toBe(`Bearer, DPoP ${ALGS}`);
  });

  it('answers a bad proof with 401 DPoP error="invalid_dpop_proof" and the algs', () => {
    const e = new InvalidTokenHttpError(new DpopProofReplayedError('seen'));
    expect(e.status).toBe(401);
    expect(e.code).toBe('dpop_proof_replayed');
    expect(e.headers['www-authenticate']).toBe(
      `DPoP error="invalid_dpop_proof", error_description="The DPoP proof has been used before", ${ALGS}`,
    );
  });

  it('answers a bound token sent as Bearer with DPoP error="invalid_token"', () => {
    const e = new InvalidTokenHttpError(new DpopTokenAsBearerError());
    expect(e.code).toBe('dpop_token_as_bearer');
    expect(e.headers['www-authenticate']).toMatch(/^DPoP error="invalid_token", error_description="[^"]+", algs="/);
  });

  it('answers a token failure of a DPoP request in the DPoP scheme', () => {
    const e = new InvalidTokenHttpError(new TokenExpiredError(), 'dpop');
    expect(e.headers['www-authenticate']).toBe(`DPoP error="invalid_token", error_description="The access token has expired", ${ALGS}`);
  });

  it('answers two Authorization headers with 400 invalid_request', () => {
    const e = new InvalidTokenHttpError(new MultipleCredentialsError());
    expect(e.status).toBe(400);
    expect(e.code).toBe('token_ambiguous');
    expect(e.headers['www-authenticate']).toMatch(/^Bearer error="invalid_request", error_description="/);
  });

  it('answers a missing scope with 403 insufficient_scope naming the scope', () => {
    const e = new InsufficientScopeError(['orders:read', 'orders:write']);
    expect(e.status).toBe(403);
    expect(e.code).toBe('insufficient_scope');
    expect(e.headers['www-authenticate']).toBe('Bearer error="insufficient_scope", scope="orders:read orders:write"');
  });
});
