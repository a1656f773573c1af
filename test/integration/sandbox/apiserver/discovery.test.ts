// What kubectl learns from discovery and OpenAPI, and what it then does: `kind: List` passes
// client-side validation (OpenAPI v2 is served, without definitions) while `kubectl apply` keeps
// computing strategic merge patches from its compiled-in types; StatefulSets and DaemonSets are
// not served (no controllers would run them), and everything says so consistently.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from './harness';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h.close();
});

function file(name: string, text: string): string {
  const p = join(h.dir, name);
  writeFileSync(p, text);
  return p;
}

const list = (v: string) => `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: list-cm, namespace: default}
  data: {v: "${v}"}
- apiVersion: v1
  kind: Service
  metadata: {name: list-svc, namespace: default, labels: {v: "${v}"}}
  spec:
    selector: {app: list}
    ports: [{name: http, port: 80, targetPort: 8080}]
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: list-deploy, namespace: default}
  spec:
    replicas: 0
    selector: {matchLabels: {app: list}}
    template:
      metadata: {labels: {app: list}}
      spec:
        containers:
        - name: c
          image: busybox:1.36
          env: [{name: A, value: "${v}"}, {name: B, value: b}]
`;

describe('kubectl apply of a kind: List', () => {
  it("creates every item, then configures them with strategic merge patches from kubectl's compiled-in types", async () => {
    const first = await h.kubectl(['apply', '-f', file('list1.yaml', list('1'))]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /configmap\/list-cm created/);
    assert.match(first.stdout, /service\/list-svc created/);
    assert.match(first.stdout, /deployment.apps\/list-deploy created/);
    // Something else adds an env var: a three-way strategic merge keeps it.
    const d = h.store.get('deployments.apps', 'default', 'list-deploy');
    d.spec.template.spec.containers[0].env.push({ name: 'C', value: 'other' });
    h.store.update('deployments.apps', 'default', d);

    const second = await h.kubectl(['apply', '-f', file('list2.yaml', list('2')), '-v=8']);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /configmap\/list-cm configured/);
    assert.match(second.stdout, /service\/list-svc configured/);
    assert.match(second.stdout, /deployment.apps\/list-deploy configured/);
    assert.equal(h.store.get('configmaps', 'default', 'list-cm').data.v, '2');
    assert.equal(h.store.get('services', 'default', 'list-svc').metadata.labels?.v, '2');
    assert.deepEqual(h.store.get('deployments.apps', 'default', 'list-deploy').spec.template.spec.containers[0].env, [
      { name: 'A', value: '2' },
      { name: 'B', value: 'b' },
      { name: 'C', value: 'other' },
    ]);
    // The patch was a strategic merge patch carrying list directives only patch metadata gives.
    assert.match(second.stderr, /Content-Type: application\/strategic-merge-patch\+json/);
    assert.match(second.stderr, /\$setElementOrder\/env/);
    assert.doesNotMatch(second.stderr, /error calculating patch from openapi spec/);
  });

  it('still refuses an invalid item (the server validates what the client no longer can)', async () => {
    const bad = await h.kubectl([
      'apply',
      '-f',
      file('list-bad.yaml', list('3').replace('replicas: 0', 'replicas: "two"')),
    ]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /replicas/);
  });

  it('serves /openapi/v2 as JSON and as protobuf', async () => {
    const json = await h.request('GET', '/openapi/v2');
    assert.equal(json.status, 200);
    assert.equal((json.body as unknown as { swagger: string }).swagger, '2.0');
    const pb = await h.request('GET', '/openapi/v2', {
      accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf',
    });
    assert.equal(pb.status, 200);
    assert.match(String(pb.headers['content-type']), /protobuf/);
  });
});

describe('StatefulSets and DaemonSets are not served', () => {
  it('are absent from discovery', async () => {
    const apps = await h.request('GET', '/apis/apps/v1');
    assert.equal(apps.status, 200);
    const names = (apps.body.resources as { name: string }[]).map((r) => r.name);
    assert.ok(names.includes('deployments'));
    for (const n of ['statefulsets', 'daemonsets', 'controllerrevisions']) assert.ok(!names.includes(n), n);
    const res = await h.kubectl(['api-resources', '--api-group=apps']);
    assert.equal(res.code, 0, res.stderr);
    assert.doesNotMatch(res.stdout, /statefulsets|daemonsets/);
  });

  it('answer 404 on their paths', async () => {
    for (const r of ['statefulsets', 'daemonsets']) {
      const res = await h.request('GET', `/apis/apps/v1/namespaces/default/${r}`);
      assert.equal(res.status, 404, r);
      assert.equal(res.body.reason, 'NotFound');
      assert.equal(res.body.message, 'the server could not find the requested resource');
    }
  });

  it('give kubectl\'s "doesn\'t have a resource type" error, and apply says there is no such kind', async () => {
    for (const t of ['statefulsets', 'statefulset', 'sts', 'daemonsets', 'ds']) {
      const res = await h.kubectl(['get', t]);
      assert.notEqual(res.code, 0, t);
      assert.match(res.stderr, new RegExp(`error: the server doesn't have a resource type "${t}"`));
    }
    const sts = await h.kubectl([
      'apply',
      '-f',
      file(
        'sts.yaml',
        `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: default}
spec:
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: c, image: busybox:1.36}]}
`,
      ),
    ]);
    assert.notEqual(sts.code, 0);
    assert.match(sts.stderr, /no matches for kind "StatefulSet" in version "apps\/v1"/);
  });
});
