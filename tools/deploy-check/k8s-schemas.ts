import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { CronJob } from 'kubernetes-models/batch/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import type { K8sObject } from './kustomize.js';

/** A validating model per kind the manifests use; any other kind is a problem, not a pass. */
const MODELS: Record<string, { validate(o: K8sObject): void }> = {};
function model(apiVersion: string, kind: string, build: (o: K8sObject) => { validate(): void }): void {
  MODELS[`${apiVersion}/${kind}`] = { validate: (o) => build(o).validate() };
}
// Cast, not checked: the models' own types are what validate() checks at run time.
model('apps/v1', 'Deployment', (o) => new Deployment(o as unknown as ConstructorParameters<typeof Deployment>[0]));
model('apps/v1', 'StatefulSet', (o) => new StatefulSet(o as unknown as ConstructorParameters<typeof StatefulSet>[0]));
model(
  'autoscaling/v2',
  'HorizontalPodAutoscaler',
  (o) => new HorizontalPodAutoscaler(o as unknown as ConstructorParameters<typeof HorizontalPodAutoscaler>[0]),
);
model('batch/v1', 'CronJob', (o) => new CronJob(o as unknown as ConstructorParameters<typeof CronJob>[0]));
model('networking.k8s.io/v1', 'Ingress', (o) => new Ingress(o as unknown as ConstructorParameters<typeof Ingress>[0]));
model('networking.k8s.io/v1', 'NetworkPolicy', (o) => new NetworkPolicy(o as unknown as ConstructorParameters<typeof NetworkPolicy>[0]));
model(
  'policy/v1',
  'PodDisruptionBudget',
  (o) => new PodDisruptionBudget(o as unknown as ConstructorParameters<typeof PodDisruptionBudget>[0]),
);
model('v1', 'ConfigMap', (o) => new ConfigMap(o as unknown as ConstructorParameters<typeof ConfigMap>[0]));
model('v1', 'Secret', (o) => new Secret(o as unknown as ConstructorParameters<typeof Secret>[0]));
model('v1', 'Service', (o) => new Service(o as unknown as ConstructorParameters<typeof Service>[0]));

/**
 * Every object against the Kubernetes OpenAPI schemas (kubernetes-models: types, required
 * fields, enums, formats). They do not refuse unknown fields, so a misspelt probe passes here:
 * checks.ts asserts the fields that matter by name.
 */
export function schemaProblems(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  for (const o of objects) {
    const m = MODELS[`${o.apiVersion}/${o.kind}`];
    if (!m) {
      problems.push(`${o.kind} ${o.metadata.name}: ${o.apiVersion}/${o.kind} has no validating model in tools/deploy-check/k8s-schemas.ts`);
      continue;
    }
    try {
      m.validate(o);
    } catch (e) {
      problems.push(`${o.kind} ${o.metadata.name}: ${(e as Error).message}`);
    }
  }
  return problems;
}
