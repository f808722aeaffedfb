import { manifestExpectations, render } from './deploy-files.js';
import type { K8sObject } from './kustomize.js';
import { AUTH_PUBLIC_PATHS, manifestProblems } from './manifest-checks.js';

type Rec = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- in-memory surgery on rendered YAML

/** The base rendered afresh, changed in memory by `mutate`, then checked: the checker must name the change. */
function problemsAfter(mutate: (objects: K8sObject[]) => K8sObject[] | void, overlay = 'base'): string[] {
  const objects = render(overlay);
  return manifestProblems(mutate(objects) ?? objects, manifestExpectations(overlay));
}
const find = (objects: K8sObject[], kind: string, name: string): Rec => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
const container = (objects: K8sObject[], name: string): Rec => find(objects, 'Deployment', name).spec.template.spec.containers[0];

describe('the manifest checker fails, naming what is wrong', () => {
  it('passes the manifests as committed (the cases below each change one thing)', () => {
    expect(problemsAfter(() => undefined)).toEqual([]);
  });

  it.each(['startupProbe', 'livenessProbe', 'readinessProbe'])('a removed %s', (probe) => {
    expect(problemsAfter((o) => void delete container(o, 'orders')[probe])).toEqual([
      `Deployment orders: container orders has no ${probe}`,
    ]);
  });

  it('readiness asked on the main port instead of the management listener', () => {
    const problems = problemsAfter((o) => void (container(o, 'profiles').readinessProbe.httpGet.port = 'http'));
    expect(problems).toEqual(['Deployment profiles: container profiles: readinessProbe must ask the management port (got http)']);
  });

  it('a probed listener on loopback, a port that is not the one the app listens on, a Service aiming at no port', () => {
    const problems = problemsAfter((o) => {
      delete find(o, 'ConfigMap', 'authmesh-common').data.MANAGEMENT_HOST;
      container(o, 'gateway').ports[0].containerPort = 8080;
      find(o, 'Service', 'profiles').spec.ports[0].targetPort = 'web';
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        "Deployment orders: container orders: probes ask the management port, but MANAGEMENT_HOST is unset (127.0.0.1): the kubelet probes the pod's address",
        'Deployment gateway: container gateway: port http is 8080 but PORT is 3000',
        'Service profiles: targetPort web is not a port of the pods it selects',
      ]),
    );
  });

  it('a removed memory limit', () => {
    expect(problemsAfter((o) => void delete container(o, 'gateway').resources.limits.memory)).toEqual([
      'Deployment gateway: container gateway has no resources.limits.memory',
    ]);
  });

  it('a writable root filesystem, a root-capable container, kept capabilities', () => {
    const problems = problemsAfter((o) => {
      const c = container(o, 'auth');
      c.securityContext.readOnlyRootFilesystem = false;
      c.securityContext.allowPrivilegeEscalation = true;
      c.securityContext.capabilities.drop = ['NET_RAW'];
      delete c.securityContext.runAsNonRoot;
      delete find(o, 'Deployment', 'auth').spec.template.spec.securityContext.runAsNonRoot;
    });
    expect(problems).toEqual([
      'Deployment auth: container auth: runAsNonRoot is not true',
      'Deployment auth: container auth: readOnlyRootFilesystem is not true',
      'Deployment auth: container auth: allowPrivilegeEscalation is not false',
      'Deployment auth: container auth: capabilities.drop does not include ALL',
    ]);
  });

  it('every NetworkPolicy removed', () => {
    expect(problemsAfter((o) => o.filter((x) => x.kind !== 'NetworkPolicy'))).toEqual([
      'no NetworkPolicy: every pod accepts traffic from anywhere and may call anything',
    ]);
  });

  it("orders' NetworkPolicy removed: orders takes traffic from anywhere and calls anything", () => {
    const problems = problemsAfter((o) => o.filter((x) => !(x.kind === 'NetworkPolicy' && x.metadata.name === 'orders')));
    expect(problems).toEqual(expect.arrayContaining(['Deployment orders: calls profiles (PROFILES_URL) but no NetworkPolicy lets it']));
    // default-deny still isolates it, so the message is about what it can no longer do.
    const noDefault = problemsAfter((o) =>
      o.filter((x) => !(x.kind === 'NetworkPolicy' && ['orders', 'default-deny'].includes(x.metadata.name))),
    );
    expect(noDefault).toEqual(
      expect.arrayContaining(['Deployment orders: no NetworkPolicy restricts its ingress, so anything may reach it']),
    );
  });

  const OUTSIDE_RULE = `only the gateway takes outside traffic; auth takes it only from the ingress controller, on its http port, for ${AUTH_PUBLIC_PATHS.join(' ')}`;

  it('outside traffic admitted to a service other than the gateway', () => {
    const problems = problemsAfter((o) => void delete find(o, 'NetworkPolicy', 'profiles').spec.ingress[0].from);
    expect(problems).toEqual([`NetworkPolicy profiles: admits traffic from outside the namespace to Deployment profiles; ${OUTSIDE_RULE}`]);
  });

  describe("auth's public host: the ingress controller only, on auth's hosted pages and discovery documents only", () => {
    const authPublic = (o: K8sObject[]): Rec => find(o, 'Ingress', 'auth-public');
    const controllerRule = (o: K8sObject[]): Rec => find(o, 'NetworkPolicy', 'auth').spec.ingress[1];
    const route = (path: string, pathType = 'Exact', service = 'auth'): Rec => ({
      path,
      pathType,
      backend: { service: { name: service, port: { name: 'http' } } },
    });

    it('a Prefix rule (it would publish the admin API and the JSON login too)', () => {
      const problems = problemsAfter((o) => void authPublic(o).spec.rules[0].http.paths.push(route('/', 'Prefix')));
      expect(problems).toEqual([`Ingress auth-public: routes Prefix / to auth; ${OUTSIDE_RULE}`]);
    });

    it('an Exact path that is not a public page: the admin API, the JSON password login', () => {
      const problems = problemsAfter(
        (o) => void authPublic(o).spec.rules[0].http.paths.push(route('/admin/clients'), route('/auth/login')),
      );
      expect(problems).toEqual([
        `Ingress auth-public: routes Exact /admin/clients to auth; ${OUTSIDE_RULE}`,
        `Ingress auth-public: routes Exact /auth/login to auth; ${OUTSIDE_RULE}`,
      ]);
    });

    // Services call introspection in-cluster (RFC 7662 is for resource servers): published, it
    // would be a token-validity oracle and one more client-secret guessing surface.
    it('introspection published (discovery lists it, but no outside client needs it)', () => {
      const problems = problemsAfter((o) => void authPublic(o).spec.rules[0].http.paths.push(route('/oauth/introspect')));
      expect(problems).toEqual([`Ingress auth-public: routes Exact /oauth/introspect to auth; ${OUTSIDE_RULE}`]);
    });

    it.each(['/oauth/token', '/oauth/userinfo', '/oauth/revoke'])(
      'an endpoint discovery advertises under the issuer (%s) that no Ingress routes',
      (path) => {
        const problems = problemsAfter((o) => {
          const paths = authPublic(o).spec.rules[0].http.paths as Rec[];
          paths.splice(
            paths.findIndex((p) => p.path === path),
            1,
          );
        });
        expect(problems).toEqual([
          `no Ingress routes ${path} to auth (Exact): browsers and relying parties cannot reach them at GATEWAY_AUTH_PUBLIC_URL`,
        ]);
      },
    );

    it('a defaultBackend to auth, and an Ingress to another service', () => {
      const problems = problemsAfter((o) => {
        authPublic(o).spec.defaultBackend = { service: { name: 'auth', port: { name: 'http' } } };
        authPublic(o).spec.rules[0].http.paths.push(route('/api', 'Prefix', 'orders'));
      });
      expect(problems).toEqual([
        `Ingress auth-public: its defaultBackend sends every path to auth; ${OUTSIDE_RULE}`,
        `Ingress auth-public: routes Prefix /api to orders; ${OUTSIDE_RULE}`,
      ]);
    });

    it('a public page no Ingress routes (the hosted login would be unreachable)', () => {
      const problems = problemsAfter((o) => {
        const paths = authPublic(o).spec.rules[0].http.paths as Rec[];
        paths.splice(
          paths.findIndex((p) => p.path === '/login'),
          1,
        );
      });
      expect(problems).toEqual([
        'no Ingress routes /login to auth (Exact): browsers and relying parties cannot reach them at GATEWAY_AUTH_PUBLIC_URL',
      ]);
    });

    it.each([
      ['its whole namespace (no podSelector)', (r: Rec) => void delete r.from[0].podSelector],
      ['any pod of the cluster (an empty namespaceSelector)', (r: Rec) => void (r.from[0].namespaceSelector = {})],
      ['an address range', (r: Rec) => void r.from.push({ ipBlock: { cidr: '0.0.0.0/0' } })],
      ['every port (no ports)', (r: Rec) => void delete r.ports],
      ['the management port too', (r: Rec) => void r.ports.push({ protocol: 'TCP', port: 'management' })],
    ])('the ingress controller rule widened to %s', (_what, widen) => {
      const problems = problemsAfter((o) => widen(controllerRule(o)));
      expect(problems).toEqual([
        `NetworkPolicy auth: admits traffic from outside the namespace to Deployment auth; ${OUTSIDE_RULE}`,
        'Deployment auth: no NetworkPolicy admits the ingress controller to its http port, so browsers cannot reach its hosted pages (GATEWAY_AUTH_PUBLIC_URL)',
      ]);
    });
  });

  describe("AUTH_ISSUER is auth's public URL; the back channel stays in-cluster", () => {
    const PUBLIC = 'https://auth.authmesh.example.com';
    const notPublic = (at: string, issuer: string) =>
      `${at}: AUTH_ISSUER is ${issuer}, not auth's public URL ${PUBLIC} (GATEWAY_AUTH_PUBLIC_URL): OIDC clients refuse a discovery document whose issuer is not the URL they discovered`;

    it.each(['base', 'overlays/dev', 'overlays/prod'])('%s: every app has the issuer the gateway sends browsers to', (overlay) => {
      const objects = render(overlay);
      const data = (name: string): Rec => find(objects, 'ConfigMap', name).data;
      const publicUrl = data('gateway-config').GATEWAY_AUTH_PUBLIC_URL;
      expect(data('authmesh-common').AUTH_ISSUER).toBe(publicUrl);
      expect(data('authmesh-common').AUTH_JWKS_URI).toBe('http://auth/.well-known/jwks.json');
      expect(data('orders-config').AUTH_TOKEN_URL).toBe('http://auth/oauth/token');
    });

    it('the in-cluster issuer of before (discovery would name endpoints no outside client reaches)', () => {
      const problems = problemsAfter((o) => void (find(o, 'ConfigMap', 'authmesh-common').data.AUTH_ISSUER = 'http://auth'));
      expect(problems).toEqual(
        ['auth', 'profiles', 'orders', 'gateway'].map((app) => notPublic(`Deployment ${app}: container ${app}`, 'http://auth')),
      );
    });

    it('the gateway alone told another issuer (its discovery check would refuse auth)', () => {
      const problems = problemsAfter(
        (o) => void container(o, 'gateway').env.push({ name: 'AUTH_ISSUER', value: 'https://login.authmesh.example.com' }),
      );
      expect(problems).toEqual([notPublic('Deployment gateway: container gateway', 'https://login.authmesh.example.com')]);
    });

    it('the keys and the token endpoint left to their defaults under the public host, or named outside the cluster', () => {
      const problems = problemsAfter((o) => {
        delete find(o, 'ConfigMap', 'authmesh-common').data.AUTH_JWKS_URI;
        find(o, 'ConfigMap', 'orders-config').data.AUTH_TOKEN_URL = `${PUBLIC}/oauth/token`;
      });
      expect(problems).toEqual([
        "Deployment profiles: container profiles: AUTH_JWKS_URI is unset, so it defaults to ${AUTH_ISSUER}/.well-known/jwks.json, the public host; name auth's internal host",
        "Deployment orders: container orders: AUTH_JWKS_URI is unset, so it defaults to ${AUTH_ISSUER}/.well-known/jwks.json, the public host; name auth's internal host",
        `Deployment orders: container orders: AUTH_TOKEN_URL ${PUBLIC}/oauth/token is not auth's internal host`,
        "Deployment gateway: container gateway: AUTH_JWKS_URI is unset, so it defaults to ${AUTH_ISSUER}/.well-known/jwks.json, the public host; name auth's internal host",
        // Nor do they call auth any more, and the NetworkPolicies say so.
        'Deployment profiles: may reach auth, which it never calls',
        'Deployment orders: may reach auth, which it never calls',
      ]);
    });
  });

  it('a service allowed to reach one it never calls, and a caller its callee refuses', () => {
    const reach = problemsAfter(
      (o) =>
        void find(o, 'NetworkPolicy', 'profiles').spec.egress[0].to.push({
          podSelector: { matchLabels: { 'app.kubernetes.io/name': 'orders' } },
        }),
    );
    expect(reach).toEqual(['Deployment profiles: may reach orders, which it never calls']);
    const refused = problemsAfter((o) => void find(o, 'NetworkPolicy', 'profiles').spec.ingress[0].from.pop());
    expect(refused).toEqual(['Deployment profiles: its NetworkPolicy refuses orders, which calls it (PROFILES_URL)']);
  });

  it('a secret in the repository: a Secret object, a KEK in a ConfigMap, a client secret by value', () => {
    const problems = problemsAfter((o) => {
      o.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'auth-secrets' }, stringData: { AUTH_KEK: 'x' } });
      find(o, 'ConfigMap', 'auth-config').data.AUTH_KEK = 'x';
      const env = container(o, 'orders').env as Rec[];
      env[env.findIndex((e) => e.name === 'ORDERS_CLIENT_KEY')] = { name: 'ORDERS_CLIENT_KEY', value: 'x' };
      return o;
    });
    expect(problems).toEqual([
      'Secret auth-secrets: secret values are in the repository; reference a Secret created outside it (deploy/README.md)',
      'ConfigMap auth-config: sets the secret AUTH_KEK in plain text; use a secretKeyRef',
      'Deployment orders: container orders: ORDERS_CLIENT_KEY is a secret and must come from a secretKeyRef',
    ]);
  });

  it('a required variable nobody sets', () => {
    const problems = problemsAfter((o) => void delete find(o, 'ConfigMap', 'orders-config').data.PROFILES_URL);
    expect(problems).toEqual(
      expect.arrayContaining(['Deployment orders: container orders: orders needs PROFILES_URL, which nothing sets']),
    );
  });

  // REDIS_URL is in a Secret, so where Redis is comes from the value each overlay's Secret is
  // documented to hold (deploy-files.ts REDIS_URL_IN_SECRET), not from the pods' environment.
  it("dev: a service that lost the datastores label cannot reach the namespace's Redis", () => {
    const problems = problemsAfter(
      (o) => void delete find(o, 'Deployment', 'orders').spec.template.metadata.labels['authmesh.io/datastores'],
      'overlays/dev',
    );
    expect(problems).toEqual([
      'StatefulSet redis: its NetworkPolicy refuses orders, which uses it (REDIS_URL)',
      'Deployment orders: cannot reach Redis at redis:6379 (REDIS_URL): no NetworkPolicy lets it',
    ]);
  });

  it("dev: Redis's own NetworkPolicy no longer admits the services on its port", () => {
    const problems = problemsAfter(
      (o) => void (find(o, 'NetworkPolicy', 'datastores').spec.ingress[0].ports = [{ protocol: 'TCP', port: 5432 }]),
      'overlays/dev',
    );
    expect(problems).toEqual(
      ['auth', 'profiles', 'orders', 'gateway'].map(
        (app) => `StatefulSet redis: its NetworkPolicy refuses ${app}, which uses it (REDIS_URL)`,
      ),
    );
  });

  it('prod: the external egress without the Sentinel port', () => {
    const problems = problemsAfter((o) => {
      const rule = find(o, 'NetworkPolicy', 'datastores-egress').spec.egress[0];
      rule.ports = rule.ports.filter((p: Rec) => p.port !== 26379);
    }, 'overlays/prod');
    expect(problems).toEqual(
      ['auth', 'profiles', 'orders', 'gateway'].map(
        (app) =>
          `Deployment ${app}: cannot reach Redis at sentinel-0:26379, sentinel-1:26379, sentinel-2:26379 (REDIS_URL): no NetworkPolicy lets it`,
      ),
    );
  });

  it('one app taking REDIS_URL from a Secret of its own (it would use another Redis than the rest)', () => {
    const problems = problemsAfter((o) => {
      const env = container(o, 'gateway').env as Rec[];
      env.find((e) => e.name === 'REDIS_URL')!.valueFrom.secretKeyRef.name = 'gateway-secrets';
    });
    expect(problems).toEqual([
      'REDIS_URL comes from different Secrets (authmesh-redis/REDIS_URL for auth, profiles, orders; gateway-secrets/REDIS_URL for gateway): the apps must share one Redis',
    ]);
  });

  it('REDIS_URL in a ConfigMap (it may carry passwords) or by value', () => {
    const problems = problemsAfter((o) => {
      find(o, 'ConfigMap', 'authmesh-common').data.REDIS_URL = 'redis://redis:6379';
      const env = container(o, 'orders').env as Rec[];
      env[env.findIndex((e) => e.name === 'REDIS_URL')] = { name: 'REDIS_URL', value: 'redis://redis:6379' };
    });
    expect(problems).toEqual([
      'ConfigMap authmesh-common: sets the secret REDIS_URL in plain text; use a secretKeyRef',
      'Deployment orders: container orders: REDIS_URL is a secret and must come from a secretKeyRef',
    ]);
  });

  it('too few replicas, an autoscaler that disagrees, a missing PDB, a missing rotation CronJob', () => {
    const problems = problemsAfter((o) => {
      find(o, 'Deployment', 'gateway').spec.replicas = 1;
      return o.filter((x) => !(x.kind === 'PodDisruptionBudget' && x.metadata.name === 'orders') && x.kind !== 'CronJob');
    });
    expect(problems).toEqual([
      'Deployment orders: no PodDisruptionBudget covers it',
      'Deployment gateway: 1 replica(s), fewer than 2',
      "HorizontalPodAutoscaler gateway: minReplicas 2 differs from the Deployment's 1 replicas (the autoscaler would override them)",
      'no CronJob runs `authctl keys rotate`',
    ]);
  });
});
