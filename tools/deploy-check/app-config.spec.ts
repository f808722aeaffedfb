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
describe('the apps accept the configuration the deploy files give them', () => {
  // Varied bytes, not one repeated: auth refuses a seeded client secret of low diversity (the 128-bit rule).
  const files = composeEnvFiles({}, (bytes, enc) =>
    Buffer.from(Array.from({ length: bytes }, (_, i) => (i * 37 + 11) % 256)).toString(enc),
  );
  const services = readCompose().services;

  it.each(Object.keys(APPS))('compose: %s', (app) => {
    const s = services[app]!;
    const envFile = files[String(s.env_file).replace(`${COMPOSE_ENV_DIR}/`, '').replace('.env', '') as keyof typeof files];
    const env = { ...imageEnv(), ...envFile, ...(s.environment as Record<string, string>) };
    expect(() => APPS[app]!.loadConfig(env)).not.toThrow();
  });

  it('compose: authctl', () => {
    const env = { ...imageEnv(), ...files.authctl, ...(services.authctl!.environment as Record<string, string>) };
    expect(loadAuthctlConfig(env, () => undefined).authUrl).toBe('http://auth:3000');
  });

  it.each(['base', 'overlays/dev', 'overlays/prod'])('kubernetes %s: every Deployment', (overlay) => {
    const objects = render(overlay);
    const configMaps = new Map(
      objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, o.data as Record<string, string>]),
    );
    const secretStandIn: Record<string, string> = {
      ...files.auth,
      ...files.orders,
      ...files.gateway,
      DATABASE_URL: 'postgres://u:p@postgres:5432/authmesh',
      // authmesh-redis: what deploy/README.md has you create for this overlay (prod: the Sentinels).
      REDIS_URL: REDIS_URL_IN_SECRET[overlay]!,
    };
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
      expect(() => APPS[d.metadata.name]!.loadConfig(env)).not.toThrow();
    }
  });
});
