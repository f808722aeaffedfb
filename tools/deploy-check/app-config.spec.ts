import type { Env } from '@authmesh/platform';
import { authApp } from '../../apps/auth/src/auth.app.js';
import { loadAuthctlConfig } from '../../apps/authctl/src/config/authctl.config.js';
import { gatewayApp } from '../../apps/gateway/src/gateway.app.js';
import { ordersApp } from '../../apps/orders/src/orders.app.js';
import { profilesApp } from '../../apps/profiles/src/profiles.app.js';
import { COMPOSE_ENV_DIR, composeEnvFiles } from '../compose-init/compose-env.js';
import { REDIS_URL_IN_SECRET, imageEnv, readCompose, render } from './deploy-files.js';
import { podSpecOf } from './kustomize.js';

/** Each app's config loader (all that is used of its definition). */
const APPS: Record<string, { loadConfig(env: Env): unknown }> = {
  auth: authApp,
  orders: ordersApp,
  profiles: profilesApp,
  gateway: gatewayApp,
};

/**
 * Each service's own configuration loader, fed exactly what the container would get: the image's
 * ENV, then (compose) its env file as compose:init writes it and its `environment`, or
 * (Kubernetes) its ConfigMaps and a stand-in for each Secret reference. A missing variable, a KEK
 * of the wrong size or a malformed AUTH_SEED_CLIENTS fails here, not at `docker compose up`.
 */
// Varied bytes, not one repeated: auth refuses a seeded client secret of low diversity (the 128-bit rule).
const files = composeEnvFiles({}, (bytes, enc) => Buffer.from(Array.from({ length: bytes }, (_, i) => (i * 37 + 11) % 256)).toString(enc));
const services = readCompose().services;

/** What one compose service's container gets: the image's ENV, its env file as compose:init writes it, its `environment`. */
function composeEnv(app: string): Env {
  const s = services[app]!;
  const envFile = files[String(s.env_file).replace(`${COMPOSE_ENV_DIR}/`, '').replace('.env', '') as keyof typeof files];
  return { ...imageEnv(), ...envFile, ...(s.environment as Record<string, string>) };
}

/** What each Deployment's container gets: the image's ENV, its ConfigMaps, its env (a stand-in for each Secret reference). */
function kubernetesEnvs(overlay: string): Record<string, Env> {
  const objects = render(overlay);
  const configMaps = new Map(objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, o.data as Record<string, string>]));
  const secretStandIn: Record<string, string> = {
    ...files.auth,
    ...files.orders,
    ...files.gateway,
    DATABASE_URL: 'postgres://u:p@postgres:5432/authmesh',
    // authmesh-redis: what deploy/README.md has you create for this overlay (prod: the Sentinels).
    REDIS_URL: REDIS_URL_IN_SECRET[overlay]!,
  };
  const envs: Record<string, Env> = {};
  for (const d of objects.filter((o) => o.kind === 'Deployment')) {
    const c = (
      podSpecOf(d)!.containers as {
        env: { name: string; value?: string; valueFrom?: unknown }[];
        envFrom: { configMapRef: { name: string } }[];
      }[]
    )[0]!;
    const env: Record<string, string> = { ...imageEnv() };
    for (const src of c.envFrom) Object.assign(env, configMaps.get(src.configMapRef.name));
    expect(c.env.find((e) => e.name === 'REDIS_URL')).toEqual({
      name: 'REDIS_URL',
      valueFrom: { secretKeyRef: { name: 'authmesh-redis', key: 'REDIS_URL' } },
    });
    for (const e of c.env) {
      const v = e.value ?? secretStandIn[e.name];
      if (v !== undefined) env[e.name] = v;
    }
    envs[d.metadata.name] = env;
  }
  return envs;
}

const OVERLAY_NAMES = ['base', 'overlays/dev', 'overlays/prod'];

/**
 * Each service's own configuration loader, fed exactly what the container would get: the image's
 * ENV, then (compose) its env file as compose:init writes it and its `environment`, or
 * (Kubernetes) its ConfigMaps and a stand-in for each Secret reference. A missing variable, a KEK
 * of the wrong size or a malformed AUTH_SEED_CLIENTS fails here, not at `docker compose up`.
 */
describe('the apps accept the configuration the deploy files give them', () => {
  it.each(Object.keys(APPS))('compose: %s', (app) => {
    expect(() => APPS[app]!.loadConfig(composeEnv(app))).not.toThrow();
  });

  it('compose: authctl', () => {
    const env = { ...imageEnv(), ...files.authctl, ...(services.authctl!.environment as Record<string, string>) };
    expect(loadAuthctlConfig(env, () => undefined).authUrl).toBe('http://auth:3000');
  });

  it.each(OVERLAY_NAMES)('kubernetes %s: every Deployment', (overlay) => {
    const envs = kubernetesEnvs(overlay);
    expect(Object.keys(envs).sort()).toEqual(Object.keys(APPS).sort());
    for (const [app, env] of Object.entries(envs)) expect(() => APPS[app]!.loadConfig(env)).not.toThrow();
  });
});

/**
 * As the apps themselves read it: auth signs with its public URL as `iss` (OIDC clients compare
 * the discovery document's issuer with the URL they discovered, OIDC Discovery §4.3), the gateway
 * expects that issuer and sends browsers there, and the back channel (the verifiers' JWKS, orders'
 * token endpoint, the gateway's discovery) names auth's internal host.
 */
describe("the issuer is auth's public URL; the back channel stays inside", () => {
  const check = (env: (app: string) => Env, internalAuth: string) => {
    const auth = authApp.loadConfig(env('auth'));
    const gateway = gatewayApp.loadConfig(env('gateway'));
    const orders = ordersApp.loadConfig(env('orders'));
    const profiles = profilesApp.loadConfig(env('profiles'));
    const publicUrl = gateway.gateway.authPublicUrl;
    expect(auth.auth.issuer).toBe(publicUrl);
    for (const verifier of [gateway.verifier, orders.verifier, profiles.verifier]) {
      expect(verifier.issuer).toBe(publicUrl);
      expect(verifier.jwksUri).toBe(`${internalAuth}/.well-known/jwks.json`);
    }
    expect(orders.profilesClient.issuer).toBe(publicUrl);
    expect(orders.profilesClient.tokenUrl).toBe(`${internalAuth}/oauth/token`);
    expect(gateway.gateway.authUrl).toBe(internalAuth);
    expect(gateway.gateway.authIssuer).toBe(publicUrl);
    return { auth, publicUrl };
  };

  it("compose: http://127.0.0.1:3001 (auth's published port), the keys at http://auth:3000", () => {
    expect(check(composeEnv, 'http://auth:3000').publicUrl).toBe('http://127.0.0.1:3001');
  });

  it.each([
    ['base', 'https://auth.authmesh.example.com', 1],
    ['overlays/prod', 'https://auth.authmesh.example.com', 1],
    // The port-forward the overlay documents; no ingress controller in front of auth, so no hop is trusted.
    ['overlays/dev', 'http://127.0.0.1:3001', false],
  ] as const)('kubernetes %s: %s, the keys at http://auth; auth trusts %s proxy hop(s)', (overlay, publicUrl, trustProxy) => {
    const envs = kubernetesEnvs(overlay);
    const { auth } = check((app) => envs[app]!, 'http://auth');
    expect(auth.auth.issuer).toBe(publicUrl);
    // Behind the ingress controller: the client address is the one the controller saw.
    expect(auth.trustProxy).toBe(trustProxy);
  });
});
