import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** One Kubernetes object as YAML gives it: validated later against the Kubernetes schemas. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

/**
 * The kustomization fields this renderer implements — and nothing else. There is no kustomize
 * npm package, so deploy/k8s is rendered here in-process; a field outside this list (a generator,
 * `commonLabels`, a strategic-merge patch, `namePrefix`…) is REFUSED rather than skipped, so the
 * manifests the tests check can never silently differ from what `kubectl kustomize` renders.
 * Adding a field means implementing it here (and checking the output against kubectl's).
 */
const FIELDS = ['apiVersion', 'kind', 'resources', 'namespace', 'labels', 'replicas', 'images', 'patches'] as const;

export class KustomizeError extends Error {}

type Op = { op: 'add' | 'replace' | 'remove'; path: string; value?: unknown };

function refuseUnknown(where: string, obj: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key))
      throw new KustomizeError(`${where}: field "${key}" is not implemented by tools/deploy-check/kustomize.ts (refused, not ignored)`);
  }
}

/** Every document of a YAML text; merge keys (`<<: *anchor`) and aliases resolved, as kustomize does. */
function parseYaml(text: string, where: string): unknown[] {
  return parseAllDocuments(text, { merge: true })
    .map((d) => {
      if (d.errors.length > 0) throw new KustomizeError(`${where}: ${d.errors[0]!.message}`);
      return d.toJS({ maxAliasCount: 100 }) as unknown;
    })
    .filter((d) => d !== null && d !== undefined);
}

const loadYamlDocs = (file: string): unknown[] => parseYaml(readFileSync(file, 'utf8'), file);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Renders the kustomization in `dir` (a folder holding kustomization.yaml), as `kubectl kustomize dir` would. */
export function renderKustomization(dir: string): K8sObject[] {
  const file = join(dir, 'kustomization.yaml');
  if (!existsSync(file)) throw new KustomizeError(`${dir}: no kustomization.yaml`);
  const [k] = loadYamlDocs(file);
  if (!isRecord(k)) throw new KustomizeError(`${file}: not a mapping`);
  refuseUnknown(file, k, FIELDS);
  if (k.apiVersion !== 'kustomize.config.k8s.io/v1beta1' || k.kind !== 'Kustomization') {
    throw new KustomizeError(`${file}: expected apiVersion kustomize.config.k8s.io/v1beta1, kind Kustomization`);
  }

  let objects: K8sObject[] = [];
  for (const entry of (k.resources as string[] | undefined) ?? []) {
    const path = resolve(dir, entry);
    if (statSync(path).isDirectory()) objects.push(...renderKustomization(path));
    else for (const doc of loadYamlDocs(path)) objects.push(asObject(doc, path));
  }
  const ids = new Set<string>();
  for (const o of objects) {
    const id = `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    if (ids.has(id)) throw new KustomizeError(`${file}: ${o.kind} ${o.metadata.name} is defined twice`);
    ids.add(id);
  }

  // Patches first, then the transformers: the order kustomize applies them in for the fields used here.
  for (const [i, p] of ((k.patches as unknown[] | undefined) ?? []).entries())
    objects = applyPatch(objects, p, `${file} patches[${i}]`, dir);
  if (k.namespace !== undefined) {
    if (typeof k.namespace !== 'string') throw new KustomizeError(`${file}: namespace must be a string`);
    for (const o of objects) o.metadata.namespace = k.namespace;
  }
  for (const [i, l] of ((k.labels as unknown[] | undefined) ?? []).entries()) {
    if (!isRecord(l)) throw new KustomizeError(`${file} labels[${i}]: not a mapping`);
    // Only metadata labels: includeSelectors/includeTemplates would rewrite selectors and pod
    // templates, which this renderer does not implement.
    refuseUnknown(`${file} labels[${i}]`, l, ['pairs']);
    for (const o of objects) o.metadata.labels = { ...(o.metadata.labels ?? {}), ...(l.pairs as Record<string, string>) };
  }
  for (const [i, r] of ((k.replicas as unknown[] | undefined) ?? []).entries()) {
    if (!isRecord(r)) throw new KustomizeError(`${file} replicas[${i}]: not a mapping`);
    refuseUnknown(`${file} replicas[${i}]`, r, ['name', 'count']);
    const target = objects.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind) && o.metadata.name === r.name);
    if (target.length === 0) throw new KustomizeError(`${file} replicas[${i}]: no Deployment or StatefulSet named ${String(r.name)}`);
    for (const o of target) (o.spec as Record<string, unknown>).replicas = r.count;
  }
  for (const [i, img] of ((k.images as unknown[] | undefined) ?? []).entries()) {
    if (!isRecord(img)) throw new KustomizeError(`${file} images[${i}]: not a mapping`);
    refuseUnknown(`${file} images[${i}]`, img, ['name', 'newName', 'newTag', 'digest']);
    for (const o of objects) for (const c of containersOf(o)) c.image = retag(c.image as string, img);
  }
  return objects;
}

function asObject(doc: unknown, file: string): K8sObject {
  if (
    !isRecord(doc) ||
    typeof doc.kind !== 'string' ||
    typeof doc.apiVersion !== 'string' ||
    !isRecord(doc.metadata) ||
    typeof doc.metadata.name !== 'string'
  ) {
    throw new KustomizeError(`${file}: every document must be a Kubernetes object with apiVersion, kind and metadata.name`);
  }
  return doc as K8sObject;
}

/** The pod spec of a workload, wherever its kind keeps it. */
export function podSpecOf(o: K8sObject): Record<string, unknown> | undefined {
  const spec = o.spec as Record<string, unknown> | undefined;
  if (['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(o.kind))
    return (spec?.template as { spec?: Record<string, unknown> })?.spec;
  if (o.kind === 'CronJob')
    return (spec?.jobTemplate as { spec?: { template?: { spec?: Record<string, unknown> } } })?.spec?.template?.spec;
  return undefined;
}

function containersOf(o: K8sObject): Record<string, unknown>[] {
  const pod = podSpecOf(o);
  return [...((pod?.initContainers as Record<string, unknown>[]) ?? []), ...((pod?.containers as Record<string, unknown>[]) ?? [])];
}

/** kustomize's image transformer: matches on the name without tag or digest. */
function retag(image: string, rule: Record<string, unknown>): string {
  const at = image.indexOf('@');
  const base = at >= 0 ? image.slice(0, at) : image;
  const colon = base.lastIndexOf(':');
  const name = colon > base.lastIndexOf('/') ? base.slice(0, colon) : base;
  if (name !== rule.name) return image;
  const tag = colon > base.lastIndexOf('/') ? base.slice(colon) : '';
  const newName = (rule.newName as string | undefined) ?? name;
  if (rule.digest !== undefined) return `${newName}@${String(rule.digest)}`;
  if (rule.newTag !== undefined) return `${newName}:${String(rule.newTag)}`;
  return `${newName}${tag}${at >= 0 ? image.slice(at) : ''}`;
}

/** A JSON 6902 patch (RFC 6902: add, replace, remove only) on the objects a `target` names. */
function applyPatch(objects: K8sObject[], p: unknown, where: string, dir: string): K8sObject[] {
  if (!isRecord(p)) throw new KustomizeError(`${where}: not a mapping`);
  refuseUnknown(where, p, ['target', 'patch', 'path']);
  if (!isRecord(p.target))
    throw new KustomizeError(`${where}: a patch without a target would be a strategic-merge patch, which is not implemented`);
  refuseUnknown(`${where} target`, p.target, ['kind', 'name']);
  const text = typeof p.patch === 'string' ? p.patch : typeof p.path === 'string' ? readFileSync(join(dir, p.path), 'utf8') : undefined;
  if (text === undefined) throw new KustomizeError(`${where}: needs patch or path`);
  const [ops] = parseYaml(text, where);
  if (!Array.isArray(ops)) throw new KustomizeError(`${where}: only JSON 6902 patches (a list of operations) are implemented`);
  const { kind, name } = p.target;
  const targets = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  if (targets.length === 0) throw new KustomizeError(`${where}: no ${String(kind)} named ${String(name)} to patch`);
  for (const target of targets) for (const op of ops as Op[]) applyOp(target, op, where);
  return objects;
}

function applyOp(target: K8sObject, op: Op, where: string): void {
  if (!isRecord(op)) throw new KustomizeError(`${where}: an operation must be a mapping`);
  if (!['add', 'replace', 'remove'].includes(op.op)) throw new KustomizeError(`${where}: op "${op.op}" is not implemented`);
  refuseUnknown(`${where} op`, op as unknown as Record<string, unknown>, ['op', 'path', 'value']);
  // RFC 6901 pointer: "/a/b~1c" → ["a", "b/c"].
  const parts = op.path
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const last = parts.pop();
  if (last === undefined) throw new KustomizeError(`${where}: path "${op.path}" names the whole object`);
  let node: unknown = target;
  for (const part of parts) {
    node = Array.isArray(node) ? node[Number(part)] : isRecord(node) ? node[part] : undefined;
    if (node === undefined)
      throw new KustomizeError(`${where}: path "${op.path}" does not exist in ${target.kind} ${target.metadata.name}`);
  }
  if (Array.isArray(node)) {
    const index = last === '-' ? node.length : Number(last);
    if (op.op === 'add') node.splice(index, 0, op.value);
    else if (index >= node.length) throw new KustomizeError(`${where}: path "${op.path}" does not exist`);
    else if (op.op === 'replace') node[index] = op.value;
    else node.splice(index, 1);
  } else if (isRecord(node)) {
    if (op.op !== 'add' && !(last in node))
      throw new KustomizeError(`${where}: path "${op.path}" does not exist in ${target.kind} ${target.metadata.name}`);
    if (op.op === 'remove') delete node[last];
    else node[last] = op.value;
  } else {
    throw new KustomizeError(`${where}: path "${op.path}" does not exist`);
  }
}
