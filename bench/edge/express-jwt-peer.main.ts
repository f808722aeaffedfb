/**
 * `node dist/bench/edge/express-jwt-peer.main.js`: the express + express-jwt + jwks-rsa peer of
 * `bench:edge` (bench only), as jwks-rsa's README shows it for express-jwt (`expressJwtSecret`
 * with `cache: true, rateLimit: true, jwksRequestsPerMinute: 5`; audience, issuer, RS256), the
 * middleware on the app, and a route answering the same principal as orders' `GET /whoami`.
 */
import express from 'express';
import { expressjwt, type Request as JwtRequest } from 'express-jwt';
import { expressJwtSecret } from 'jwks-rsa';
import type { AddressInfo } from 'node:net';
import { peerConfigFromEnv } from './peer-config.js';

const config = peerConfigFromEnv(process.env);
const app = express();
app.use(
  expressjwt({
    secret: expressJwtSecret({ cache: true, rateLimit: true, jwksRequestsPerMinute: 5, jwksUri: config.jwksUri }),
    audience: config.audience,
    issuer: config.issuer,
    algorithms: ['RS256'],
  }),
);
app.get('/whoami', (req: JwtRequest, res) => {
  const claims = req.auth ?? {};
  const scope = typeof claims.scope === 'string' ? claims.scope : '';
  res.json({
    sub: claims.sub,
    clientId: claims.client_id as unknown,
    scopes: scope ? scope.split(' ') : [],
    audience: Array.isArray(claims.aud) ? claims.aud : [claims.aud],
    tokenId: claims.jti,
    expiresAt: new Date((claims.exp ?? 0) * 1000).toISOString(),
    isService: false,
  });
});
// express-jwt's errors (401 UnauthorizedError) answered as JSON, as its README's error handler does.
app.use((err: Error & { status?: number }, _req: express.Request, res: express.Response, next: express.NextFunction) => {
  if (err.name === 'UnauthorizedError') res.status(401).json({ error: 'invalid_token' });
  else next(err);
});
const server = app.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`express-jwt ready on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
