import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeProblems, composeSchemaProblems } from './compose-checks.js';
import { requiredVariables, secretVariables } from './config-vars.js';
import { OVERLAYS, REDIS_URL_IN_SECRET, ROOT, envFileVariables, manifestExpectations, readCompose, render } from './deploy-files.js';
import { contextFiles, forbiddenInContext, isExcluded, parseDockerignore } from './docker-context.js';
import { schemaProblems } from './k8s-schemas.js';
import { manifestProblems } from './manifest-checks.js';
import { parseAllDocuments } from 'yaml';
import { type K8sObject, podSpecOf } from './kustomize.js';

// The deploy files, checked as data: no Docker engine or cluster is needed (or used).
describe('deploy/k8s', () => {
  it.each(Object.keys(OVERLAYS))('%s renders to objects the Kubernetes schemas accept', (overlay) => {
    const objects = render(overlay);
    expect(objects.length).toBeGreaterThan(20);
    expect(schemaProblems(objects)).toEqual([]);
  });

  it.each(Object.keys(OVERLAYS))('%s: probes, limits, non-root, read-only root, secret references, scaling, NetworkPolicies', (overlay) => {
    expect(manifestProblems(render(overlay), manifestExpectations(overlay))).toEqual([]);
  });

  // The renderer against kustomize itself, where kubectl is installed (it bundles kustomize and
  // renders offline); reported as skipped elsewhere rather than passing unseen.
  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
  (kubectl ? it.each : it.skip.each)(Object.keys(OVERLAYS))('%s renders exactly what `kubectl kustomize` renders', (overlay) => {
    const canon = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(canon)
        : v && typeof v === 'object'
          ? Object.fromEntries(
              Object.keys(v)
                .sort()
                .map((k) => [k, canon((v as Record<string, unknown>)[k])]),
            )
          : v;
    const byId = (objects: K8sObject[]) =>
      Object.fromEntries(objects.map((o) => [`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, canon(o)]));
    const theirs = parseAllDocuments(execFileSync('kubectl', ['kustomize', join(ROOT, 'deploy/k8s', overlay)], { encoding: 'utf8' })).map(
      (d) => d.toJS() as K8sObject,
    );
    expect(byId(render(overlay))).toEqual(byId(theirs));
  });

  it('prod reaches Redis through Sentinel and the data stores by address, dev runs them in the namespace', () => {
    const prod = render('overlays/prod');
    expect(prod.some((o) => o.kind === 'StatefulSet')).toBe(false);
    expect(prod.every((o) => o.metadata.namespace === 'authmesh')).toBe(true);
    const dev = render('overlays/dev');
    expect(dev.filter((o) => o.kind === 'StatefulSet').map((o) => o.metadata.name)).toEqual(['postgres', 'redis']);
  });

  // REDIS_URL may carry passwords: no ConfigMap holds it, every app takes it from the one
  // authmesh-redis Secret (they must share one Redis), and the value is only written down where
  // the operator creates that Secret: deploy/README.md, and the overlay's own comment.
  it.each(Object.keys(OVERLAYS))('%s: REDIS_URL comes from the authmesh-redis Secret, in no ConfigMap', (overlay) => {
    const objects = render(overlay);
    for (const cm of objects.filter((o) => o.kind === 'ConfigMap')) expect(Object.keys(cm.data ?? {})).not.toContain('REDIS_URL');
    const refs = objects
      .filter((o) => o.kind === 'Deployment')
      .map((d) =>
        ((podSpecOf(d)!.containers as { env: { name: string; valueFrom?: unknown }[] }[])[0]!.env ?? []).find(
          (e) => e.name === 'REDIS_URL',
        ),
      );
    expect(refs).toHaveLength(4);
    for (const r of refs) expect(r?.valueFrom).toEqual({ secretKeyRef: { name: 'authmesh-redis', key: 'REDIS_URL' } });
  });

  it('deploy/README.md creates authmesh-redis with the REDIS_URL of each overlay, as the overlays say', () => {
    const readme = readFileSync(join(ROOT, 'deploy/README.md'), 'utf8');
    for (const [overlay, ns] of [
      ['overlays/dev', 'authmesh-dev'],
      ['overlays/prod', 'authmesh'],
    ] as const) {
      const url = REDIS_URL_IN_SECRET[overlay]!;
      expect(readme).toContain(`kubectl -n ${ns} create secret generic authmesh-redis --from-literal=REDIS_URL='${url}'`);
      expect(readFileSync(join(ROOT, 'deploy/k8s', overlay, 'kustomization.yaml'), 'utf8')).toContain(`REDIS_URL=${url}`);
    }
  });
});

describe('docker-compose.yml', () => {
  it('is valid against the Compose spec schema', () => {
    expect(composeSchemaProblems(readCompose())).toEqual([]);
  });

  it('healthchecks, healthy dependencies, only the gateway published, no secret in the file', () => {
    const compose = readCompose();
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining(['postgres', 'redis', 'auth', 'orders', 'profiles', 'gateway', 'authctl']),
    );
    expect(composeProblems(compose, { required: requiredVariables, secrets: secretVariables(), envFileVariables })).toEqual([]);
  });

  it('deploy/compose.dev-ports.yml publishes Postgres and Redis on loopback only', () => {
    const text = readFileSync(join(ROOT, 'deploy/compose.dev-ports.yml'), 'utf8');
    const ports = [...text.matchAll(/'([^']*:\d+:\d+)'/g)].map((m) => m[1]);
    expect(ports).toEqual(['127.0.0.1:5432:5432', '127.0.0.1:6379:6379']);
  });
});

describe('the Docker build', () => {
  const patterns = parseDockerignore(readFileSync(join(ROOT, '.dockerignore'), 'utf8'));

  it('sends no file of .data/, node_modules/, .git, no key and no .env file (walked like the daemon does)', () => {
    const sent = contextFiles(ROOT, patterns);
    expect(sent.length).toBeGreaterThan(100);
    expect(sent.map((f) => [f, forbiddenInContext(f)]).filter(([, why]) => why)).toEqual([]);
  });

  it.each([
    '.data/auth-kek',
    '.data/suite-clients.json',
    '.data/pglite/auth/PG_VERSION',
    'node_modules/jose/package.json',
    'apps/auth/node_modules/x/index.js',
    '.git/HEAD',
    '.git',
    'server.pem',
    'deploy/tls/server.key',
    'apps/auth/test/keys/signing.pem',
    '.env',
    '.env.compose/auth.env',
    'apps/gateway/.env.local',
    'dist/apps/auth/src/main.js',
  ])('excludes %s even when it exists', (path) => {
    expect(isExcluded(patterns, path)).toBe(true);
  });

  it('still sends every source the Dockerfile copies', () => {
    const dockerfile = readFileSync(join(ROOT, 'deploy/Dockerfile'), 'utf8');
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'apps', 'libs']));
    const sent = new Set(contextFiles(ROOT, patterns));
    for (const src of sources) expect([...sent].some((f) => f === src || f.startsWith(`${src}/`))).toBe(true);
  });

  it('the Dockerfile: multi-stage, npm ci, production dependencies only, numeric non-root user, EXPOSE, HEALTHCHECK on /health/live', () => {
    const text = readFileSync(join(ROOT, 'deploy/Dockerfile'), 'utf8');
    const stages = text.split(/^FROM /m).slice(1);
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const final = stages[stages.length - 1]!;
    expect(text).toMatch(/^RUN npm ci\b/m);
    expect(text).toMatch(/^RUN npm ci --omit=dev/m);
    expect(text).not.toMatch(/^COPY \. /m);
    expect(final).toMatch(/^USER [1-9]\d*(:\d+)?$/m);
    expect(final).toMatch(/^EXPOSE \d+/m);
    expect(final).toMatch(/^HEALTHCHECK [\s\S]*\/health\/live/m);
    // The runtime's node_modules is the --omit=dev stage's, never the build stage's.
    const copies = [...final.matchAll(/^COPY --from=(\S+) \/app\/node_modules/gm)].map((m) => m[1]);
    const prodStage = stages
      .find((s) => /npm ci --omit=dev/.test(s))!
      .split('\n')[0]!
      .split(/\s+AS\s+/i)[1];
    expect(copies).toEqual([prodStage]);
  });
});
