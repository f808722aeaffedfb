import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { COMPOSE_ENV_DIR, COMPOSE_ENV_FILES, composeEnvFiles } from '../compose-init/compose-env.js';
import type { Compose } from './compose-checks.js';
import { type DeployedApp, requiredVariables, secretVariables } from './config-vars.js';
import { type K8sObject, renderKustomization } from './kustomize.js';
import type { ManifestExpectations } from './manifest-checks.js';

/** The repository the deploy files are read from (the tests run anywhere inside it). */
export const ROOT = execFileSync('git', ['rev-parse', '--show-toplevel'], { encoding: 'utf8' }).trim();

/** Each overlay (and the base itself) with the replica floor it promises. */
export const OVERLAYS: Record<string, Partial<Record<DeployedApp, number>>> = {
  base: { auth: 2, orders: 2, profiles: 2, gateway: 2 },
  'overlays/dev': { auth: 1, orders: 1, profiles: 1, gateway: 1 },
  'overlays/prod': { auth: 3, orders: 3, profiles: 3, gateway: 3 },
};

/**
 * The REDIS_URL deploy/README.md has you put in the `authmesh-redis` Secret for each overlay (a
 * secret, so no manifest holds it): the specs feed it to the apps' config loaders and check that
 * the NetworkPolicies let every app reach the servers it names. base: the dev overlay's value
 * (the base has no Redis of its own); prod: its Sentinels, as its kustomization.yaml says.
 */
export const REDIS_URL_IN_SECRET: Record<string, string> = {
  base: 'redis://redis:6379',
  'overlays/dev': 'redis://redis:6379',
  'overlays/prod': 'redis+sentinel://sentinel-0:26379,sentinel-1:26379,sentinel-2:26379/authmesh',
};

export const render = (overlay: string): K8sObject[] => renderKustomization(join(ROOT, 'deploy/k8s', overlay));

/** The ENV line of deploy/Dockerfile's last stage: what every container of the image starts with. */
export function imageEnv(): Record<string, string> {
  const final = readFileSync(join(ROOT, 'deploy/Dockerfile'), 'utf8')
    .split(/^FROM /m)
    .pop()!;
  const line = final.match(/^ENV (.+)$/m)![1]!;
  return Object.fromEntries(line.split(/\s+/).map((kv) => kv.split('=') as [string, string]));
}

export function manifestExpectations(overlay: string): ManifestExpectations {
  return {
    minReplicas: OVERLAYS[overlay]!,
    required: requiredVariables,
    secrets: secretVariables(),
    imageEnv: imageEnv(),
    redisUrl: REDIS_URL_IN_SECRET[overlay]!,
  };
}

/** docker-compose.yml as compose reads it (merge keys resolved). */
export const readCompose = (): Compose => parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as Compose;

/** The variables compose:init writes into each env file (from its code: the files are not in git). */
export function envFileVariables(path: string): readonly string[] | undefined {
  const files = composeEnvFiles({}, (bytes, enc) => Buffer.alloc(bytes, 1).toString(enc));
  const name = COMPOSE_ENV_FILES.find((f) => path === `${COMPOSE_ENV_DIR}/${f}.env`);
  return name ? Object.keys(files[name]) : undefined;
}
