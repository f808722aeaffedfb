import { type RedisNodeAddress, parseRedisUrl } from '@authmesh/platform';
import type { DeployedApp } from './config-vars.js';
import { type AppEnvironment, issuerProblems } from './issuer-checks.js';
import { type K8sObject, podSpecOf } from './kustomize.js';

type Rec = Record<string, unknown>;
type Labels = Record<string, string>;
interface Container {
  name: string;
  image?: string;
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: Rec }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  resources?: { requests?: Rec; limits?: Rec };
  securityContext?: Rec;
  startupProbe?: Rec;
  livenessProbe?: Rec;
  readinessProbe?: Rec;
}
interface Selector {
  matchLabels?: Labels;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}
interface Peer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: Rec;
}
interface PolicyRule {
  from?: Peer[];
  to?: Peer[];
  ports?: { port?: number | string; protocol?: string }[];
}
interface IngressBackend {
  service?: { name: string; port?: { name?: string; number?: number } };
  resource?: Rec;
}
interface IngressSpec {
  defaultBackend?: IngressBackend;
  rules?: { host?: string; http?: { paths: { path?: string; pathType: string; backend: IngressBackend }[] } }[];
}
interface PolicySpec {
  podSelector: Selector;
  policyTypes?: string[];
  ingress?: PolicyRule[];
  egress?: PolicyRule[];
}

/** What the rendered manifests of one overlay must hold; the spec passes the replica floor per overlay. */
export interface ManifestExpectations {
  /** The fewest replicas each app's Deployment may have (dev: 1, base and prod: 2 or more). */
  minReplicas: Partial<Record<DeployedApp, number>>;
  /** Each app's required variables (config-vars.ts). */
  required: (app: DeployedApp) => readonly string[];
  /** Variables that hold secrets (config-vars.ts). */
  secrets: ReadonlySet<string>;
  /** The ENV of deploy/Dockerfile's runtime stage: what every container of our image starts with. */
  imageEnv: Readonly<Record<string, string>>;
  /**
   * The REDIS_URL the overlay's `authmesh-redis` Secret holds (deploy/README.md): a secret, so no
   * manifest carries it, yet the NetworkPolicies must let every app reach the servers it names.
   */
  redisUrl: string;
}

/** The app that takes traffic from outside the namespace on any path: the suite's entry point. */
const PUBLIC_APPS = new Set(['gateway']);
/**
 * The only paths of auth that outside traffic may reach (through the ingress controller, each an
 * Exact path of an Ingress): the hosted pages browsers are sent to (the authorization endpoint
 * and its login form, consent, RP-initiated logout, the password change, their stylesheet), the
 * discovery and JWKS documents relying parties read, and the endpoints discovery names under the
 * issuer for them (token, userinfo, revocation). Not the admin API, the JSON password login,
 * introspection (RFC 7662 is for resource servers, ours call it in-cluster) or anything auth adds
 * later: a Prefix rule would publish those too.
 */
export const AUTH_PUBLIC_PATHS: readonly string[] = [
  '/oauth/authorize',
  '/login',
  '/oauth/authorize/consent',
  '/oauth/logout',
  '/account/password',
  '/assets/auth.css',
  '/oauth/token',
  '/oauth/userinfo',
  '/oauth/revoke',
  '/.well-known/openid-configuration',
  '/.well-known/oauth-authorization-server',
  '/.well-known/jwks.json',
];
/** The rule each refusal states. */
const OUTSIDE_RULE = `only the gateway takes outside traffic; auth takes it only from the ingress controller, on its http port, for ${AUTH_PUBLIC_PATHS.join(' ')}`;
/** Workloads any service may reach without calling them by URL (their URLs are in Secrets). */
const DATASTORES = new Set(['postgres', 'redis']);
const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'CronJob']);
const NAME_LABEL = 'app.kubernetes.io/name';

const id = (o: K8sObject): string => `${o.kind} ${o.metadata.name}`;
const containers = (o: K8sObject): Container[] => (podSpecOf(o)?.containers as Container[] | undefined) ?? [];

function podLabels(o: K8sObject): Labels {
  const spec = o.spec as Rec;
  const template = o.kind === 'CronJob' ? ((spec.jobTemplate as Rec).spec as Rec).template : spec.template;
  return ((template as { metadata?: { labels?: Labels } }).metadata?.labels ?? {}) as Labels;
}

/** The app a container runs: its APP variable, or authctl for the CLI's command. */
function appOf(c: Container): DeployedApp | undefined {
  const app = c.env?.find((e) => e.name === 'APP')?.value;
  if (app) return app as DeployedApp;
  const cmd = ((c as unknown as { command?: string[] }).command ?? []).join(' ');
  return cmd.includes('apps/authctl/') ? 'authctl' : undefined;
}

export function selects(selector: Selector | undefined, labels: Labels): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = e.key in labels;
    const inValues = has && (e.values ?? []).includes(labels[e.key]!);
    const ok = { In: inValues, NotIn: !inValues, Exists: has, DoesNotExist: !has }[e.operator];
    if (ok === undefined) throw new Error(`matchExpressions operator ${e.operator} is not implemented`);
    if (!ok) return false;
  }
  return true;
}

/** Every variable a container gets and where from: its env, and the ConfigMaps it imports whole. */
function environment(
  c: Container,
  configMaps: Map<string, Labels>,
  imageEnv: Readonly<Labels> = {},
): Map<string, { value?: string; from: string }> {
  const env = new Map<string, { value?: string; from: string }>();
  for (const [k, v] of Object.entries(imageEnv)) env.set(k, { value: v, from: 'the image' });
  for (const src of c.envFrom ?? []) {
    if (src.configMapRef)
      for (const [k, v] of Object.entries(configMaps.get(src.configMapRef.name) ?? {}))
        env.set(k, { value: v, from: `ConfigMap ${src.configMapRef.name}` });
  }
  for (const e of c.env ?? []) env.set(e.name, { value: e.value, from: e.valueFrom ? 'a reference' : 'its env' });
  return env;
}

/**
 * The rules a rendered overlay must satisfy, as messages naming the object and what is wrong
 * (empty: all hold). Data only: no cluster, no kubectl.
 */
export function manifestProblems(objects: readonly K8sObject[], expect: ManifestExpectations): string[] {
  const problems: string[] = [];
  const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
  const configMaps = new Map(byKind('ConfigMap').map((o) => [o.metadata.name, (o.data ?? {}) as Labels]));
  const workloads = objects.filter((o) => WORKLOAD_KINDS.has(o.kind));

  // Secrets: references only. A Secret object in the repo means its values are in the repo.
  for (const s of byKind('Secret'))
    problems.push(`${id(s)}: secret values are in the repository; reference a Secret created outside it (deploy/README.md)`);
  for (const [name, data] of configMaps) {
    for (const key of Object.keys(data))
      if (expect.secrets.has(key)) problems.push(`ConfigMap ${name}: sets the secret ${key} in plain text; use a secretKeyRef`);
  }

  for (const w of workloads) {
    const pod = podSpecOf(w) ?? {};
    const podSecurity = (pod.securityContext ?? {}) as Rec;
    for (const c of containers(w)) {
      const at = `${id(w)}: container ${c.name}`;
      if (w.kind !== 'CronJob') {
        for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe'] as const)
          if (!c[probe]) problems.push(`${at} has no ${probe}`);
        // Readiness details (database, Redis, JWKS, revocation) are on the management listener.
        const managed = c.ports?.some((p) => p.name === 'management');
        const readyPort = (c.readinessProbe?.httpGet as Rec | undefined)?.port;
        if (managed && c.readinessProbe && readyPort !== 'management')
          problems.push(`${at}: readinessProbe must ask the management port (got ${String(readyPort)})`);
      }
      for (const kind of ['requests', 'limits'] as const) {
        for (const r of ['cpu', 'memory']) if (c.resources?.[kind]?.[r] === undefined) problems.push(`${at} has no resources.${kind}.${r}`);
      }
      const sc = c.securityContext ?? {};
      if (sc.runAsNonRoot !== true && podSecurity.runAsNonRoot !== true) problems.push(`${at}: runAsNonRoot is not true`);
      if (sc.readOnlyRootFilesystem !== true) problems.push(`${at}: readOnlyRootFilesystem is not true`);
      if (sc.allowPrivilegeEscalation !== false) problems.push(`${at}: allowPrivilegeEscalation is not false`);
      if (!((sc.capabilities as { drop?: string[] } | undefined)?.drop ?? []).includes('ALL'))
        problems.push(`${at}: capabilities.drop does not include ALL`);
      if (sc.privileged === true) problems.push(`${at}: is privileged`);

      const ours = appOf(c) !== undefined;
      const env = environment(c, configMaps, ours ? expect.imageEnv : {});
      if (ours) problems.push(...listenerProblems(at, c, env));
      for (const e of c.env ?? []) {
        if (expect.secrets.has(e.name) && e.valueFrom?.secretKeyRef === undefined)
          problems.push(`${at}: ${e.name} is a secret and must come from a secretKeyRef`);
      }
      for (const [name, v] of env)
        if (v.value && /:\/\/[^/@\s]*:[^/@\s]*@/.test(v.value))
          problems.push(`${at}: ${name} (from ${v.from}) carries a password in its URL`);
      const app = appOf(c);
      if (app)
        for (const name of expect.required(app)) if (!env.has(name)) problems.push(`${at}: ${app} needs ${name}, which nothing sets`);
    }
  }

  // Scaling: replicas per overlay, an autoscaler for every verifier that agrees with them, a PDB per app.
  const deployments = byKind('Deployment');
  for (const [app, min] of Object.entries(expect.minReplicas)) {
    const d = deployments.find((o) => o.metadata.name === app);
    if (!d) {
      problems.push(`Deployment ${app} is missing`);
      continue;
    }
    const replicas = ((d.spec as Rec).replicas as number | undefined) ?? 1;
    if (replicas < min) problems.push(`Deployment ${app}: ${replicas} replica(s), fewer than ${min}`);
    const hpa = byKind('HorizontalPodAutoscaler').find((h) => ((h.spec as Rec).scaleTargetRef as Rec).name === app);
    if (app !== 'auth' && !hpa) problems.push(`Deployment ${app}: no HorizontalPodAutoscaler scales it`);
    if (hpa && (hpa.spec as Rec).minReplicas !== replicas) {
      problems.push(
        `${id(hpa)}: minReplicas ${String((hpa.spec as Rec).minReplicas)} differs from the Deployment's ${replicas} replicas (the autoscaler would override them)`,
      );
    }
    const labels = podLabels(d);
    if (!byKind('PodDisruptionBudget').some((p) => selects((p.spec as Rec).selector as Selector, labels)))
      problems.push(`Deployment ${app}: no PodDisruptionBudget covers it`);
  }
  if (
    !byKind('CronJob').some((j) =>
      containers(j).some((c) => ((c as unknown as { command?: string[] }).command ?? []).join(' ').includes('keys rotate')),
    )
  ) {
    problems.push('no CronJob runs `authctl keys rotate`');
  }
  for (const s of byKind('Service')) {
    const type = ((s.spec as Rec).type as string | undefined) ?? 'ClusterIP';
    if (type !== 'ClusterIP' && !PUBLIC_APPS.has(s.metadata.name))
      problems.push(`${id(s)}: type ${type} exposes it outside the cluster; only the gateway may be`);
  }

  for (const s of byKind('Service')) {
    const selected = workloads.filter((w) => selects({ matchLabels: (s.spec as Rec).selector as Labels }, podLabels(w)));
    if (selected.length === 0) problems.push(`${id(s)}: selects no pod`);
    for (const port of ((s.spec as Rec).ports as { name?: string; targetPort?: number | string }[] | undefined) ?? []) {
      const target = port.targetPort;
      if (typeof target === 'string' && !selected.every((w) => containers(w).some((c) => c.ports?.some((p) => p.name === target)))) {
        problems.push(`${id(s)}: targetPort ${target} is not a port of the pods it selects`);
      }
    }
  }

  // One Redis for the suite (a revocation written by auth must reach every verifier's mirror): all
  // apps take REDIS_URL from the same Secret key.
  const redisRefs = new Map<string, string[]>();
  for (const w of workloads)
    for (const c of containers(w)) {
      const ref = c.env?.find((e) => e.name === 'REDIS_URL')?.valueFrom?.secretKeyRef as { name?: string; key?: string } | undefined;
      if (ref) redisRefs.set(`${ref.name}/${ref.key}`, [...(redisRefs.get(`${ref.name}/${ref.key}`) ?? []), w.metadata.name]);
    }
  if (redisRefs.size > 1)
    problems.push(
      `REDIS_URL comes from different Secrets (${[...redisRefs].map(([ref, apps]) => `${ref} for ${apps.join(', ')}`).join('; ')}): the apps must share one Redis`,
    );

  problems.push(...issuerProblemsOf(objects, workloads, configMaps));
  problems.push(...networkProblems(objects, workloads, configMaps, expect));
  problems.push(...ingressProblems(objects, workloads));
  return problems;
}

/** The issuer rule (issuer-checks.ts) on the Deployments' containers; auth's in-cluster host is a Service selecting its pods. */
function issuerProblemsOf(objects: readonly K8sObject[], workloads: readonly K8sObject[], configMaps: Map<string, Labels>): string[] {
  const apps: AppEnvironment[] = [];
  for (const w of workloads.filter((o) => o.kind === 'Deployment'))
    for (const c of containers(w)) {
      const app = appOf(c);
      if (app === undefined) continue;
      const env = Object.fromEntries([...environment(c, configMaps)].map(([k, v]) => [k, v.value]));
      apps.push({ at: `${id(w)}: container ${c.name}`, app, env });
    }
  const authPods = workloads.filter((w) => podLabels(w)[NAME_LABEL] === 'auth');
  const isAuthHost = (host: string) =>
    objects.some(
      (s) =>
        s.kind === 'Service' &&
        s.metadata.name === host &&
        authPods.some((w) => sameNamespace(s, w) && selects({ matchLabels: (s.spec as Rec).selector as Labels }, podLabels(w))),
    );
  return issuerProblems(apps, isAuthHost);
}

const sameNamespace = (a: K8sObject, b: K8sObject): boolean => (a.metadata.namespace ?? '') === (b.metadata.namespace ?? '');

const WILDCARD = new Set(['0.0.0.0', '::']);

/**
 * The listeners must be where the manifest says: each named port is the one the app listens on
 * (PORT, MANAGEMENT_PORT), and a port the kubelet probes listens on the pod's address, not on
 * loopback (MANAGEMENT_HOST defaults to 127.0.0.1, which no probe can reach).
 */
function listenerProblems(at: string, c: Container, env: Map<string, { value?: string }>): string[] {
  const problems: string[] = [];
  const listeners = { http: { port: 'PORT', host: 'HOST' }, management: { port: 'MANAGEMENT_PORT', host: 'MANAGEMENT_HOST' } } as const;
  const probed = new Set(
    [c.startupProbe, c.livenessProbe, c.readinessProbe].map((p) => (p?.httpGet as { port?: string } | undefined)?.port).filter(Boolean),
  );
  for (const [name, vars] of Object.entries(listeners)) {
    const declared = c.ports?.find((p) => p.name === name)?.containerPort;
    const port = env.get(vars.port)?.value;
    if (declared !== undefined && String(declared) !== port)
      problems.push(`${at}: port ${name} is ${declared} but ${vars.port} is ${port ?? 'unset'}`);
    const host = env.get(vars.host)?.value;
    if (probed.has(name) && !WILDCARD.has(host ?? '')) {
      problems.push(
        `${at}: probes ask the ${name} port, but ${vars.host} is ${host ?? 'unset (127.0.0.1)'}: the kubelet probes the pod's address`,
      );
    }
  }
  return problems;
}

/**
 * Whether a rule admits only the ingress controller's pods (a namespaceSelector AND a podSelector
 * in one peer, each naming labels: not a whole namespace, not an address range) and only the http
 * port. A NetworkPolicy cannot see paths, so this is where auth's exposure ends and its Ingress's
 * Exact paths take over.
 */
function fromIngressControllerToHttp(rule: PolicyRule, c: Container | undefined): boolean {
  const http = c?.ports?.find((p) => p.name === 'http')?.containerPort;
  const named = (sel: Selector | undefined) => Object.keys(sel?.matchLabels ?? {}).length + (sel?.matchExpressions?.length ?? 0) > 0;
  return (
    !!rule.from?.length &&
    rule.from.every((peer) => !peer.ipBlock && named(peer.namespaceSelector) && named(peer.podSelector)) &&
    !!rule.ports?.length &&
    rule.ports.every((p) => (p.protocol ?? 'TCP') === 'TCP' && (p.port === 'http' || (http !== undefined && p.port === http)))
  );
}

/**
 * Ingresses publish the gateway on any path, auth on AUTH_PUBLIC_PATHS alone (Exact, no
 * defaultBackend), nothing else; and auth's public pages must all be routed, or the hosted login
 * the gateway sends browsers to is unreachable.
 */
function ingressProblems(objects: readonly K8sObject[], workloads: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  const services = objects.filter((o) => o.kind === 'Service');
  const appsBehind = (ing: K8sObject, backend: IngressBackend | undefined): string[] => {
    if (backend?.resource) return ['a resource backend'];
    const svc = services.find((s) => s.metadata.name === backend?.service?.name && s.metadata.namespace === ing.metadata.namespace);
    if (!svc) return [];
    const selector = { matchLabels: (svc.spec as Rec).selector as Labels };
    return workloads
      .filter((w) => w.metadata.namespace === ing.metadata.namespace && selects(selector, podLabels(w)))
      .map((w) => podLabels(w)[NAME_LABEL] ?? w.metadata.name);
  };
  const routed = new Set<string>();
  for (const ing of objects.filter((o) => o.kind === 'Ingress')) {
    const spec = (ing.spec ?? {}) as IngressSpec;
    for (const app of appsBehind(ing, spec.defaultBackend))
      if (!PUBLIC_APPS.has(app)) problems.push(`${id(ing)}: its defaultBackend sends every path to ${app}; ${OUTSIDE_RULE}`);
    for (const rule of spec.rules ?? [])
      for (const path of rule.http?.paths ?? [])
        for (const app of appsBehind(ing, path.backend)) {
          if (PUBLIC_APPS.has(app)) continue;
          if (app === 'auth' && path.pathType === 'Exact' && AUTH_PUBLIC_PATHS.includes(path.path ?? '')) {
            routed.add(path.path!);
            continue;
          }
          problems.push(`${id(ing)}: routes ${path.pathType} ${path.path ?? '/'} to ${app}; ${OUTSIDE_RULE}`);
        }
  }
  if (workloads.some((w) => podLabels(w)[NAME_LABEL] === 'auth')) {
    const missing = AUTH_PUBLIC_PATHS.filter((p) => !routed.has(p));
    if (missing.length)
      problems.push(
        `no Ingress routes ${missing.join(' ')} to auth (Exact): browsers and relying parties cannot reach them at GATEWAY_AUTH_PUBLIC_URL`,
      );
  }
  return problems;
}

/** Which ports of a rule are only the management port (Prometheus may scrape every pod). */
function onlyManagement(rule: PolicyRule, c: Container | undefined): boolean {
  const mgmt = c?.ports?.find((p) => p.name === 'management')?.containerPort;
  return !!rule.ports?.length && rule.ports.every((p) => p.port === 'management' || (mgmt !== undefined && p.port === mgmt));
}

/**
 * The servers a REDIS_URL names: the one server, the sentinels, or the cluster's seed nodes. The
 * master a Sentinel announces and the nodes a Cluster discovers are not in it, so no check can
 * follow them (prod's datastores-egress opens 6379 to the same networks for them).
 */
export function redisEndpoints(url: string): RedisNodeAddress[] {
  const parsed = parseRedisUrl(url);
  if (!parsed.ok) throw new Error(`the REDIS_URL expected in authmesh-redis: ${parsed.problem}`);
  const c = parsed.config;
  if (c.kind === 'memory') return [];
  if (c.kind === 'sentinel') return [...c.sentinels];
  if (c.kind === 'cluster') return [...c.seeds];
  const u = new URL(c.url);
  return [{ host: u.hostname, port: u.port ? Number(u.port) : 6379 }];
}

/** Whether a rule's ports let TCP to `port` (a number, or the container port's name) through. */
function portAdmits(rule: PolicyRule, port: number, portName?: string): boolean {
  if (!rule.ports?.length) return true;
  return rule.ports.some(
    (p) => (p.protocol ?? 'TCP') === 'TCP' && (p.port === undefined || p.port === port || (portName !== undefined && p.port === portName)),
  );
}

function networkProblems(
  objects: readonly K8sObject[],
  workloads: readonly K8sObject[],
  configMaps: Map<string, Labels>,
  expect: ManifestExpectations,
): string[] {
  const problems: string[] = [];
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  if (policies.length === 0) return ['no NetworkPolicy: every pod accepts traffic from anywhere and may call anything'];
  const services = objects.filter((o) => o.kind === 'Service');
  const sameNs = (a: K8sObject, b: K8sObject) => (a.metadata.namespace ?? '') === (b.metadata.namespace ?? '');
  const typesOf = (p: PolicySpec) => p.policyTypes ?? ['Ingress', ...(p.egress ? ['Egress'] : [])];
  const applying = (w: K8sObject, type: 'Ingress' | 'Egress') =>
    policies.filter(
      (p) => sameNs(p, w) && typesOf(p.spec as PolicySpec).includes(type) && selects((p.spec as PolicySpec).podSelector, podLabels(w)),
    );
  const nameOf = (w: K8sObject) => podLabels(w)[NAME_LABEL] ?? w.metadata.name;
  /** The workloads an in-namespace peer (podSelector alone) selects. */
  const peerWorkloads = (peer: Peer, from: K8sObject) =>
    peer.namespaceSelector || peer.ipBlock ? [] : workloads.filter((w) => sameNs(w, from) && selects(peer.podSelector, podLabels(w)));

  for (const w of workloads) {
    const name = nameOf(w);
    const main = containers(w)[0];
    // Ingress: isolated, and open to outside the namespace only where that is the gateway's job.
    const ingress = applying(w, 'Ingress');
    if (ingress.length === 0) problems.push(`${id(w)}: no NetworkPolicy restricts its ingress, so anything may reach it`);
    for (const p of ingress) {
      for (const rule of (p.spec as PolicySpec).ingress ?? []) {
        const outside = !rule.from?.length || rule.from.some((peer) => peer.ipBlock || peer.namespaceSelector);
        if (!outside || onlyManagement(rule, main) || PUBLIC_APPS.has(name)) continue;
        if (name === 'auth' && fromIngressControllerToHttp(rule, main)) continue;
        problems.push(`NetworkPolicy ${p.metadata.name}: admits traffic from outside the namespace to ${id(w)}; ${OUTSIDE_RULE}`);
      }
    }
    // Egress: isolated, and to exactly what it calls (its URLs), the data stores and DNS.
    const egress = applying(w, 'Egress');
    if (egress.length === 0) {
      problems.push(`${id(w)}: no NetworkPolicy restricts its egress, so it may call anything`);
      continue;
    }
    const reached = new Set<string>();
    for (const p of egress) {
      for (const rule of (p.spec as PolicySpec).egress ?? []) {
        if (!rule.to?.length) problems.push(`NetworkPolicy ${p.metadata.name}: lets ${id(w)} call any address`);
        for (const peer of rule.to ?? []) for (const t of peerWorkloads(peer, w)) reached.add(nameOf(t));
      }
    }
    const calls = new Map<string, string>();
    for (const c of containers(w)) {
      for (const [variable, v] of environment(c, configMaps)) {
        const host = v.value?.match(/^https?:\/\/([^/:@]+)/)?.[1];
        const svc = services.find((s) => s.metadata.name === host && sameNs(s, w));
        if (!svc) continue;
        for (const t of workloads.filter(
          (x) => sameNs(x, w) && selects({ matchLabels: (svc.spec as Rec).selector as Labels }, podLabels(x)),
        )) {
          if (nameOf(t) !== name) calls.set(nameOf(t), variable);
        }
      }
    }
    for (const [target, variable] of calls) {
      if (!reached.has(target)) problems.push(`${id(w)}: calls ${target} (${variable}) but no NetworkPolicy lets it`);
      const target0 = workloads.find((x) => nameOf(x) === target && sameNs(x, w))!;
      const admitted = applying(target0, 'Ingress').some((p) =>
        ((p.spec as PolicySpec).ingress ?? []).some(
          (r) =>
            !r.from?.length || r.from.some((peer) => !peer.namespaceSelector && !peer.ipBlock && selects(peer.podSelector, podLabels(w))),
        ),
      );
      if (!admitted) problems.push(`${id(target0)}: its NetworkPolicy refuses ${name}, which calls it (${variable})`);
    }
    for (const target of reached) {
      if (!calls.has(target) && !DATASTORES.has(target) && target !== name)
        problems.push(`${id(w)}: may reach ${target}, which it never calls`);
    }

    // Redis: REDIS_URL is in a Secret, so its servers are the overlay's expected value, not read
    // from the pod's environment. A host that is a Service here: its pods, on their port, both
    // ways. Any other host (outside the cluster, or left to an overlay as in the base): DNS is not
    // ours to follow, so its port must at least be open to some destination.
    const usesRedis = containers(w).some((c) => {
      const app = appOf(c);
      return app !== undefined && expect.required(app).includes('REDIS_URL');
    });
    if (!usesRedis) continue;
    const egressRules = egress.flatMap((p) => (p.spec as PolicySpec).egress ?? []);
    const unreachable: string[] = [];
    for (const { host, port } of redisEndpoints(expect.redisUrl)) {
      const svc = services.find((s) => s.metadata.name === host && sameNs(s, w));
      if (!svc) {
        if (!egressRules.some((r) => portAdmits(r, port))) unreachable.push(`${host}:${port}`);
        continue;
      }
      const svcPort = (((svc.spec as Rec).ports ?? []) as { port: number; targetPort?: number | string }[]).find((p) => p.port === port);
      const targets = workloads.filter((x) => sameNs(x, w) && selects({ matchLabels: (svc.spec as Rec).selector as Labels }, podLabels(x)));
      if (!svcPort || targets.length === 0) {
        unreachable.push(`${host}:${port}`);
        continue;
      }
      for (const t of targets) {
        const target = svcPort.targetPort ?? port;
        const named = containers(t)
          .flatMap((c) => c.ports ?? [])
          .find((p) => p.name === target || p.containerPort === target);
        const [number, portName] = [named?.containerPort ?? Number(target), named?.name];
        const out = egressRules.some(
          (r) => portAdmits(r, number, portName) && (r.to ?? []).some((peer) => peerWorkloads(peer, w).includes(t)),
        );
        if (!out) unreachable.push(`${host}:${port}`);
        const ingress = applying(t, 'Ingress');
        const admitted =
          ingress.length === 0 ||
          ingress.some((p) =>
            ((p.spec as PolicySpec).ingress ?? []).some(
              (r) =>
                portAdmits(r, number, portName) &&
                (!r.from?.length ||
                  r.from.some((peer) => !peer.namespaceSelector && !peer.ipBlock && selects(peer.podSelector, podLabels(w)))),
            ),
          );
        if (!admitted) problems.push(`${id(t)}: its NetworkPolicy refuses ${name}, which uses it (REDIS_URL)`);
      }
    }
    if (unreachable.length)
      problems.push(`${id(w)}: cannot reach Redis at ${[...new Set(unreachable)].join(', ')} (REDIS_URL): no NetworkPolicy lets it`);
  }
  const auth = workloads.find((w) => nameOf(w) === 'auth');
  if (auth) {
    const reachable = applying(auth, 'Ingress').some((p) =>
      ((p.spec as PolicySpec).ingress ?? []).some((r) => fromIngressControllerToHttp(r, containers(auth)[0])),
    );
    if (!reachable)
      problems.push(
        `${id(auth)}: no NetworkPolicy admits the ingress controller to its http port, so browsers cannot reach its hosted pages (GATEWAY_AUTH_PUBLIC_URL)`,
      );
  }
  const gateway = workloads.find((w) => nameOf(w) === 'gateway');
  if (gateway) {
    const open = applying(gateway, 'Ingress').some((p) =>
      ((p.spec as PolicySpec).ingress ?? []).some((r) => !r.from?.length && !onlyManagement(r, containers(gateway)[0])),
    );
    if (!open) problems.push('Deployment gateway: no NetworkPolicy admits outside traffic to it, so nothing can reach the suite');
  }
  return problems;
}
