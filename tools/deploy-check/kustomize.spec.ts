import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderKustomization } from './kustomize.js';

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: { name: web, labels: { app: web } }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - { name: web, image: 'example/web:1', env: [{ name: A, value: '1' }] }
`;

describe('the in-process kustomize renderer', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kustomize-spec-'));
    mkdirSync(join(dir, 'base'));
    writeFileSync(join(dir, 'base/web.yaml'), DEPLOYMENT);
    writeFileSync(
      join(dir, 'base/kustomization.yaml'),
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [web.yaml]\n',
    );
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const overlay = (body: string) => {
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [base]\n${body}`,
    );
    return renderKustomization(dir);
  };

  it('applies namespace, labels (metadata only), replicas, images and JSON 6902 patches', () => {
    const [web] = overlay(`namespace: shop
labels: [{ pairs: { team: a } }]
replicas: [{ name: web, count: 5 }]
images: [{ name: example/web, newName: registry/web, newTag: '2' }]
patches:
  - target: { kind: Deployment, name: web }
    patch: |-
      - { op: add, path: /spec/template/spec/containers/0/env/-, value: { name: B, value: '2' } }
      - { op: replace, path: /spec/template/spec/containers/0/env/0/value, value: '9' }
      - { op: remove, path: /metadata/labels/app }
`) as unknown as [Record<string, any>]; // eslint-disable-line @typescript-eslint/no-explicit-any -- reading rendered YAML
    expect(web.metadata).toEqual({ name: 'web', namespace: 'shop', labels: { team: 'a' } });
    expect(web.spec.replicas).toBe(5);
    expect(web.spec.selector).toEqual({ matchLabels: { app: 'web' } });
    expect(web.spec.template.metadata.labels).toEqual({ app: 'web' });
    expect(web.spec.template.spec.containers[0].image).toBe('registry/web:2');
    expect(web.spec.template.spec.containers[0].env).toEqual([
      { name: 'A', value: '9' },
      { name: 'B', value: '2' },
    ]);
  });

  it.each([
    ['commonLabels: { a: b }', 'field "commonLabels" is not implemented'],
    ['configMapGenerator: [{ name: x, literals: [a=b] }]', 'field "configMapGenerator" is not implemented'],
    ['namePrefix: x-', 'field "namePrefix" is not implemented'],
    ['labels: [{ pairs: { a: b }, includeSelectors: true }]', 'field "includeSelectors" is not implemented'],
    ['patches: [{ patch: "kind: Deployment" }]', 'strategic-merge patch, which is not implemented'],
    ['patches: [{ target: { kind: Deployment, name: web }, patch: "- { op: move, from: /a, path: /b }" }]', 'op "move" is not implemented'],
    ['patches: [{ target: { kind: Deployment, name: nope }, patch: "- { op: remove, path: /spec }" }]', 'no Deployment named nope'],
    ['patches: [{ target: { kind: Deployment, name: web }, patch: "- { op: replace, path: /spec/nope/x, value: 1 }" }]', 'does not exist'],
    ['replicas: [{ name: nope, count: 1 }]', 'no Deployment or StatefulSet named nope'],
  ])('refuses what it does not implement or cannot apply: %s', (body, message) => {
    expect(() => overlay(body)).toThrow(message);
  });

  it('refuses a resource defined twice', () => {
    writeFileSync(
      join(dir, 'base/kustomization.yaml'),
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [web.yaml, web.yaml]\n',
    );
    expect(() => renderKustomization(join(dir, 'base'))).toThrow('Deployment web is defined twice');
  });
});
