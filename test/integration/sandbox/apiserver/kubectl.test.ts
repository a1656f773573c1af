// Real kubectl 1.32 against the sandbox API server started in-process: what a user types, and
// what the cluster then holds.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
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

const deployment = (replicas: string | number, env = '1') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
  labels: {app: web}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: node:20
        ports: [{containerPort: 8080}]
        env: [{name: A, value: "${env}"}, {name: B, value: "b"}]
`;

function file(name: string, text: string): string {
  const p = join(h.dir, name);
  writeFileSync(p, text);
  return p;
}

describe('kubectl against the sandbox API server', () => {
  it('lists the bootstrap namespaces and the node with the columns a real server gives', async () => {
    const ns = await h.kubectl(['get', 'namespaces']);
    assert.equal(ns.code, 0, ns.stderr);
    assert.match(ns.stdout, /^NAME\s+STATUS\s+AGE/);
    for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease'])
      assert.match(ns.stdout, new RegExp(`^${n}\\s+Active`, 'm'));
    const nodes = await h.kubectl(['get', 'nodes']);
    assert.match(nodes.stdout, /^sandbox-node\s+Ready/m);
  });

  it('applies a Deployment, then changes it with apply (a strategic merge patch) without losing server-side fields', async () => {
    const first = await h.kubectl(['apply', '-f', file('d1.yaml', deployment(2))]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /deployment.apps\/web created/);
    assert.equal(first.stderr, '');
    // Something else changes the object between applies: apply must keep it (three-way merge).
    const label = await h.kubectl(['label', 'deployment', 'web', 'tier=front']);
    assert.equal(label.code, 0, label.stderr);
    const second = await h.kubectl(['apply', '-f', file('d2.yaml', deployment(3, '2'))]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /deployment.apps\/web configured/);
    const d = h.store.get('deployments.apps', 'default', 'web');
    assert.equal(d.spec.replicas, 3);
    assert.deepEqual(d.spec.template.spec.containers[0].env, [
      { name: 'A', value: '2' },
      { name: 'B', value: 'b' },
    ]);
    assert.equal(d.metadata.labels?.tier, 'front');
    assert.equal(d.metadata.generation, 2);
    assert.equal(d.spec.strategy.type, 'RollingUpdate'); // defaulted, kept across the patch
    const again = await h.kubectl(['apply', '-f', join(h.dir, 'd2.yaml')]);
    assert.match(again.stdout, /unchanged/);
  });

  it('scales through the scale subresource and shows the Deployment columns', async () => {
    const s = await h.kubectl(['scale', 'deployment', 'web', '--replicas=5']);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(h.store.get('deployments.apps', 'default', 'web').spec.replicas, 5);
    const get = await h.kubectl(['get', 'deployment', 'web', '-o', 'wide']);
    assert.match(get.stdout, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR/);
    assert.match(get.stdout, /^web\s+0\/5\s+0\s+0\s+\S+\s+web\s+node:20\s+app=web/m);
  });

  it('creates objects with kubectl create (protobuf bodies) and describes them', async () => {
    for (const args of [
      ['create', 'namespace', 'team'],
      ['create', 'configmap', 'settings', '-n', 'team', '--from-literal=mode=fast'],
      ['create', 'secret', 'generic', 'creds', '-n', 'team', '--from-literal=password=s3cret'],
      ['create', 'deployment', 'api', '-n', 'team', '--image=python:3.11', '--replicas=0'],
      ['create', 'service', 'clusterip', 'api', '-n', 'team', '--tcp=80:8080'],
    ]) {
      const r = await h.kubectl(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    }
    assert.equal(h.store.get('configmaps', 'team', 'settings').data.mode, 'fast');
    assert.equal(Buffer.from(h.store.get('secrets', 'team', 'creds').data.password, 'base64').toString(), 's3cret');
    assert.equal(h.store.get('deployments.apps', 'team', 'api').spec.replicas, 0);
    const svc = h.store.get('services', 'team', 'api');
    assert.deepEqual(svc.spec.ports[0], { name: '80-8080', port: 80, protocol: 'TCP', targetPort: 8080 });
    const d = await h.kubectl(['describe', 'deployment', 'api', '-n', 'team']);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /Image:\s+python:3.11/);
  });

  it('creates a pod that is scheduled at once and shown with the pod columns', async () => {
    const r = await h.kubectl(['run', 'box', '--image=busybox:1.36', '--', 'sleep', '3600']);
    assert.equal(r.code, 0, r.stderr);
    const pod = h.store.get('pods', 'default', 'box');
    assert.equal(pod.spec.nodeName, 'sandbox-node');
    assert.equal(pod.status.phase, 'Pending');
    assert.equal(pod.spec.containers[0].imagePullPolicy, 'IfNotPresent');
    const get = await h.kubectl(['get', 'pods', '-o', 'wide']);
    assert.match(get.stdout, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE/);
    assert.match(get.stdout, /^box\s+0\/1\s+Pending\s+0\s+\S+\s+<none>\s+sandbox-node/m);
  });

  it('answers a stale update with 409 Conflict', async () => {
    const cm = await h.request('POST', '/api/v1/namespaces/default/configmaps', {
      body: { metadata: { name: 'race' }, data: { a: '1' } },
    });
    assert.equal(cm.status, 201);
    const stale = cm.body;
    const first = await h.request('PUT', '/api/v1/namespaces/default/configmaps/race', {
      body: { ...stale, data: { a: '2' } },
    });
    assert.equal(first.status, 200);
    const second = await h.request('PUT', '/api/v1/namespaces/default/configmaps/race', {
      body: { ...stale, data: { a: '3' } },
    });
    assert.equal(second.status, 409);
    assert.equal(second.body.reason, 'Conflict');
    assert.match(
      second.body.message,
      /the object has been modified; please apply your changes to the latest version and try again/,
    );
    assert.equal(h.store.get('configmaps', 'default', 'race').data.a, '2');
    const replace = await h.kubectl([
      'replace',
      '-f',
      file('race.json', JSON.stringify({ ...stale, apiVersion: 'v1', kind: 'ConfigMap', data: { a: '4' } })),
    ]);
    assert.notEqual(replace.code, 0);
    assert.match(replace.stderr, /Error from server \(Conflict\)/);
  });

  it('rejects an invalid object with 422 naming the field, and stores nothing', async () => {
    const r = await h.kubectl([
      'apply',
      '-f',
      file('bad.yaml', deployment('"two"').replace('name: web\n  namespace', 'name: bad\n  namespace')),
    ]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /The Deployment "bad" is invalid: spec.replicas: Invalid value: "two"/);
    assert.equal(h.store.tryGet('deployments.apps', 'default', 'bad'), undefined);
    const raw = await h.request('POST', '/apis/apps/v1/namespaces/default/deployments', {
      body: {
        metadata: { name: 'Bad_Name' },
        spec: {
          selector: { matchLabels: { a: 'b' } },
          template: { metadata: { labels: { a: 'c' } }, spec: { containers: [{ name: 'x', image: 'y' }] } },
        },
      },
    });
    assert.equal(raw.status, 422);
    const fields = raw.body.details.causes.map((c: { field: string }) => c.field).sort();
    assert.deepEqual(fields, ['metadata.name', 'spec.template.metadata.labels']);
  });

  it('denies alice what RBAC does not grant, with the real Forbidden message, until a RoleBinding grants it', async () => {
    const denied = await h.kubectl(['get', 'pods', '-n', 'team'], { as: 'alice' });
    assert.notEqual(denied.code, 0);
    assert.match(
      denied.stderr,
      /Error from server \(Forbidden\): pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "team"/,
    );
    assert.equal(
      (await h.kubectl(['auth', 'can-i', 'list', 'pods', '-n', 'team'], { as: 'alice' })).stdout.trim(),
      'no',
    );
    const role = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: dev, namespace: team}
rules:
- apiGroups: [""]
  resources: [pods, pods/log]
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [pods/exec]
  verbs: [create]
  resourceNames: [api-0]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dev-alice, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: dev}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}]
`;
    const applied = await h.kubectl(['apply', '-f', file('role.yaml', role)]);
    assert.equal(applied.code, 0, applied.stderr);
    const can = async (...args: string[]) =>
      (await h.kubectl(['auth', 'can-i', ...args], { as: 'alice' })).stdout.trim();
    assert.equal(await can('list', 'pods', '-n', 'team'), 'yes');
    assert.equal(await can('delete', 'pods', '-n', 'team'), 'no');
    assert.equal(await can('list', 'pods', '-n', 'default'), 'no');
    assert.equal(await can('create', 'pods', '--subresource=exec', '-n', 'team'), 'no');
    assert.equal(await can('create', 'pods/api-0', '--subresource=exec', '-n', 'team'), 'yes');
    assert.equal((await h.kubectl(['auth', 'can-i', 'list', 'pods', '-n', 'team'], { as: 'bob' })).stdout.trim(), 'no');
    const allowed = await h.kubectl(['get', 'pods', '-n', 'team'], { as: 'alice' });
    assert.equal(allowed.code, 0, allowed.stderr);
    const write = await h.kubectl(['delete', 'configmap', 'settings', '-n', 'team'], { as: 'alice' });
    assert.match(
      write.stderr,
      /configmaps "settings" is forbidden: User "alice" cannot delete resource "configmaps" in API group "" in the namespace "team"/,
    );
  });

  it('deletes dependents in the background and in the foreground', async () => {
    const owner = h.store.create('configmaps', 'default', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'owner' },
    });
    const ref = (block: boolean) => [
      { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid!, blockOwnerDeletion: block },
    ];
    h.store.create('configmaps', 'default', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'dep-a', ownerReferences: ref(false) },
    });
    const bg = await h.kubectl(['delete', 'configmap', 'owner']);
    assert.equal(bg.code, 0, bg.stderr);
    await until(() => !h.store.tryGet('configmaps', 'default', 'dep-a'));

    const owner2 = h.store.create('configmaps', 'default', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'owner2' },
    });
    h.store.create('configmaps', 'default', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'dep-b',
        finalizers: ['example.com/hold'],
        ownerReferences: [
          { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner2', uid: owner2.metadata.uid!, blockOwnerDeletion: true },
        ],
      },
    });
    const fg = await h.kubectl(['delete', 'configmap', 'owner2', '--cascade=foreground', '--wait=false']);
    assert.equal(fg.code, 0, fg.stderr);
    // The owner waits, with the foregroundDeletion finalizer, while its blocking dependent exists.
    await until(() => !!h.store.tryGet('configmaps', 'default', 'dep-b')?.metadata.deletionTimestamp);
    const waiting = h.store.get('configmaps', 'default', 'owner2');
    assert.ok(waiting.metadata.deletionTimestamp);
    assert.deepEqual(waiting.metadata.finalizers, ['foregroundDeletion']);
    const dep = h.store.get('configmaps', 'default', 'dep-b');
    dep.metadata.finalizers = [];
    h.store.update('configmaps', 'default', dep);
    await until(() => !h.store.tryGet('configmaps', 'default', 'owner2'));

    const owner3 = h.store.create('configmaps', 'default', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'owner3' },
    });
    h.store.create('configmaps', 'default', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'dep-c',
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner3', uid: owner3.metadata.uid! }],
      },
    });
    const orphan = await h.kubectl(['delete', 'configmap', 'owner3', '--cascade=orphan']);
    assert.equal(orphan.code, 0, orphan.stderr);
    await until(() => !h.store.tryGet('configmaps', 'default', 'owner3'));
    assert.equal(h.store.get('configmaps', 'default', 'dep-c').metadata.ownerReferences, undefined);
  });

  it('streams changes with get -w', async () => {
    const child = spawn(
      '/usr/bin/kubectl',
      ['--context', 'sandbox-admin', 'get', 'configmaps', '-n', 'default', '-w', '--output-watch-events'],
      { env: { ...process.env, KUBECONFIG: h.kubeconfig, HOME: h.dir } },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    try {
      await until(() => /race/.test(out));
      await h.kubectl(['create', 'configmap', 'watched', '--from-literal=a=1']);
      await h.kubectl(['delete', 'configmap', 'watched']);
      await until(() => /DELETED\s+watched/.test(out));
      assert.match(out, /ADDED\s+watched\s+1/);
    } finally {
      child.kill();
    }
  });

  it('deletes a namespace with what is in it', async () => {
    const r = await h.kubectl(['delete', 'namespace', 'team']);
    assert.equal(r.code, 0, r.stderr);
    await until(() => !h.store.tryGet('namespaces', undefined, 'team'));
    assert.equal(h.store.list('configmaps', 'team').items.length, 0);
    assert.equal(h.store.list('deployments.apps', 'team').items.length, 0);
    const create = await h.kubectl(['create', 'configmap', 'late', '-n', 'team']);
    assert.match(create.stderr, /namespaces "team" not found/);
  });
});

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
