// The sandbox through an unmodified kubectl: the everyday commands, and the errors a real API
// server gives. Runs against the sandbox or any cluster named by DEVLANE_TEST_KUBECONFIG.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  contexts,
  eventually,
  isSandbox,
  kubectl,
  kubectlJson,
  kubectlOk,
  kubectlStream,
  tempNamespace,
} from '../../helpers/kubectl';

const deployment = (ns: string, name: string, replicas: number | string, extra = '') => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${ns}
  labels: { app: ${name} }
spec:
  replicas: ${typeof replicas === 'string' ? JSON.stringify(replicas) : replicas}
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      terminationGracePeriodSeconds: 2
      containers:
        - name: main
          image: node:22-slim
          command: ["node", "-e", "require('http').createServer((q, s) => s.end(process.env.WHO || 'none')).listen(8080); setInterval(() => console.log('tick', Date.now()), 300)"]
          env: [{ name: WHO, value: first }]
          ports: [{ name: http, containerPort: 8080 }]
          readinessProbe: { tcpSocket: { port: http }, periodSeconds: 1 }
${extra}`;

describe('kubectl against the cluster', () => {
  let ns: string;
  let cleanup: () => void;
  before(() => ({ name: ns, cleanup } = tempNamespace('dl-kubectl')));
  after(() => cleanup());

  it('lists the demo namespaces and answers discovery', () => {
    const names = kubectlJson<{ items: { metadata: { name: string } }[] }>(['get', 'namespaces']).items.map(
      (n) => n.metadata.name,
    );
    assert.ok(names.includes('shop') && names.includes('shop-plain') && names.includes(ns), `namespaces: ${names}`);
    const resources = kubectlOk(['api-resources', '--no-headers']);
    for (const r of ['pods', 'deployments', 'virtualservices', 'httproutes', 'leases', 'selfsubjectaccessreviews']) {
      assert.match(resources, new RegExp(`^${r}\\s`, 'm'), `api-resources lists ${r}`);
    }
  });

  it('applies a Deployment, then applies a change to it (client-side apply: create, then strategic merge patch)', async () => {
    kubectlOk(['apply', '-f', '-'], { input: deployment(ns, 'app', 1) });
    kubectlOk(['rollout', 'status', `deployment/app`, '-n', ns, '--timeout=90s'], { timeoutMs: 100_000 });
    kubectlOk(['apply', '-f', '-'], { input: deployment(ns, 'app', 1).replace('value: first', 'value: second') });
    const d = kubectlJson(['get', 'deployment', 'app', '-n', ns]);
    assert.equal(d.spec.template.spec.containers[0].env[0].value, 'second');
    assert.equal(d.metadata.generation, 2, 'a spec change bumps the generation');
    assert.ok(d.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'].includes('second'));
    kubectlOk(['rollout', 'status', `deployment/app`, '-n', ns, '--timeout=90s'], { timeoutMs: 100_000 });
    const rs = kubectlJson<{ items: { spec: { replicas: number } }[] }>([
      'get',
      'replicasets',
      '-n',
      ns,
      '-l',
      'app=app',
    ]).items;
    assert.equal(rs.length, 2, 'the rollout made a second ReplicaSet');
    assert.deepEqual(rs.map((r) => r.spec.replicas).sort(), [0, 1], 'the old ReplicaSet was scaled to zero');
  });

  it('gets with tables, describes, labels and scales', async () => {
    const table = kubectlOk(['get', 'pods', '-n', ns]);
    assert.match(table, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE/m);
    assert.match(table, /app-\S+\s+1\/1\s+Running\s+0/);
    const described = kubectlOk(['describe', 'deployment', 'app', '-n', ns]);
    assert.match(described, /Replicas:\s+1 desired \| 1 updated \| 1 total \| 1 available \| 0 unavailable/);
    kubectlOk(['label', 'deployment', 'app', '-n', ns, 'team=devlane']);
    assert.equal(kubectlJson(['get', 'deployment', 'app', '-n', ns]).metadata.labels.team, 'devlane');
    kubectlOk(['scale', 'deployment', 'app', '-n', ns, '--replicas=2']);
    kubectlOk(['rollout', 'status', 'deployment/app', '-n', ns, '--timeout=90s'], { timeoutMs: 100_000 });
    // Pods of the replaced ReplicaSet may still be terminating (and Ready until they stop), as on a real cluster.
    const ready = kubectlJson<{
      items: {
        metadata: { deletionTimestamp?: string };
        status: { conditions?: { type: string; status: string }[] };
      }[];
    }>(['get', 'pods', '-n', ns, '-l', 'app=app']).items.filter(
      (p) =>
        !p.metadata.deletionTimestamp && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    );
    assert.equal(ready.length, 2);
  });

  it('follows logs and runs exec with stdin', async () => {
    const pod = kubectlOk(['get', 'pods', '-n', ns, '-l', 'app=app', '-o', 'jsonpath={.items[0].metadata.name}']);
    const logs = kubectlStream(['logs', '-f', '--tail=1', '-n', ns, pod]);
    try {
      await logs.waitFor((o) => o.split('\n').filter((l) => l.startsWith('tick')).length >= 3, 30_000);
    } finally {
      await logs.stop();
    }
    const r = kubectlOk(['exec', '-i', '-n', ns, pod, '--', 'sh', '-c', 'cat; echo " and $WHO"'], {
      input: 'hello from stdin',
    });
    assert.equal(r.trim(), 'hello from stdin and second');
    const failed = kubectl(['exec', '-n', ns, pod, '--', 'sh', '-c', 'exit 3']);
    assert.equal(failed.code, 3, 'the exit code of the command comes back');
  });

  it('watches: get -w sees a change as it happens', async () => {
    kubectlOk(['create', 'configmap', 'existing', '-n', ns, '--from-literal=a=1']);
    const w = kubectlStream(['get', 'configmaps', '-n', ns, '-w', '-o', 'name']);
    try {
      // The list part is printed first; anything created after it arrives through the watch.
      await w.waitFor((o) => o.includes('configmap/existing'), 30_000);
      kubectlOk(['create', 'configmap', 'watched', '-n', ns, '--from-literal=a=1']);
      await w.waitFor((o) => o.includes('configmap/watched'), 30_000);
    } finally {
      await w.stop();
    }
  });

  it('refuses a stale update with 409 and an invalid object with 422, storing nothing', () => {
    kubectlOk(['create', 'configmap', 'cm', '-n', ns, '--from-literal=a=1']);
    const stale = kubectlJson(['get', 'configmap', 'cm', '-n', ns]);
    kubectlOk(['patch', 'configmap', 'cm', '-n', ns, '--type=merge', '-p', '{"data":{"a":"2"}}']);
    stale.data.a = '3';
    const conflict = kubectl(['replace', '-f', '-'], { input: JSON.stringify(stale) });
    assert.notEqual(conflict.code, 0);
    assert.match(
      conflict.stderr,
      /the object has been modified; please apply your changes to the latest version and try again/,
    );
    assert.equal(kubectlJson(['get', 'configmap', 'cm', '-n', ns]).data.a, '2', 'the stale write changed nothing');

    const invalid = kubectl(['apply', '-f', '-'], { input: deployment(ns, 'broken', 'two') });
    assert.notEqual(invalid.code, 0);
    assert.match(invalid.stderr, /replicas/);
    assert.notEqual(
      kubectl(['get', 'deployment', 'broken', '-n', ns]).code,
      0,
      'the invalid Deployment was not stored',
    );
  });

  it('enforces RBAC for developers and answers auth can-i', () => {
    const denied = kubectl(['get', 'pods', '-n', ns], { context: contexts.alice });
    assert.notEqual(denied.code, 0);
    assert.match(
      denied.stderr,
      /pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "dl-kubectl-/,
    );
    const can = (args: string[]) => kubectl(['auth', 'can-i', ...args], { context: contexts.alice }).stdout.trim();
    // kubectl reads `pods/exec` as the pod named exec; subresources go in --subresource.
    assert.equal(can(['create', 'pods', '--subresource=exec', '-n', 'shop']), 'yes');
    assert.equal(can(['create', 'pods/exec', '-n', 'shop']), 'no', 'alice may not create pods, whatever their name');
    assert.equal(can(['create', 'pods', '--subresource=portforward', '-n', 'shop-plain']), 'yes');
    assert.equal(can(['update', 'virtualservices.networking.istio.io', '-n', 'shop']), 'yes');
    assert.equal(
      can(['patch', 'virtualservices.networking.istio.io', '-n', 'shop']),
      'no',
      'the Role grants no verb sessions do not use',
    );
    assert.equal(can(['delete', 'namespaces']), 'no');
    assert.equal(can(['create', 'pods', '--subresource=exec', '-n', ns]), 'no');
    assert.equal(kubectl(['get', 'pods', '-n', 'shop'], { context: contexts.bob }).code, 0, 'bob is bound in shop');
  });

  it('answers auth whoami (SelfSubjectReview) with the user the token authenticates', () => {
    const who = (context: string) =>
      JSON.parse(kubectlOk(['auth', 'whoami', '-o', 'json'], { context })) as {
        kind: string;
        status: { userInfo: { username: string; groups: string[] } };
      };
    const alice = who(contexts.alice);
    assert.equal(alice.kind, 'SelfSubjectReview');
    if (isSandbox()) assert.equal(alice.status.userInfo.username, 'alice');
    assert.ok(alice.status.userInfo.groups.includes('system:authenticated'), `groups: ${alice.status.userInfo.groups}`);
    assert.notEqual(who(contexts.bob).status.userInfo.username, alice.status.userInfo.username);
    assert.ok(who(contexts.admin).status.userInfo.groups.includes('system:masters'));
  });

  it('cascades deletion: background removes dependents, orphan keeps them', async () => {
    kubectlOk(['apply', '-f', '-'], { input: deployment(ns, 'cascade', 1) });
    kubectlOk(['rollout', 'status', 'deployment/cascade', '-n', ns, '--timeout=90s'], { timeoutMs: 100_000 });
    kubectlOk(['delete', 'deployment', 'cascade', '-n', ns, '--cascade=orphan']);
    const orphans = kubectlJson<{ items: { metadata: { ownerReferences?: unknown[] } }[] }>([
      'get',
      'replicasets',
      '-n',
      ns,
      '-l',
      'app=cascade',
    ]).items;
    assert.equal(orphans.length, 1, 'the ReplicaSet stays');
    assert.equal(orphans[0].metadata.ownerReferences, undefined, 'and no longer names an owner');
    kubectlOk(
      ['delete', 'replicasets', '-n', ns, '-l', 'app=cascade', '--cascade=foreground', '--wait=true', '--timeout=60s'],
      { timeoutMs: 70_000 },
    );
    await eventually(
      'the pods of the deleted ReplicaSet to go',
      () => kubectlJson<{ items: unknown[] }>(['get', 'pods', '-n', ns, '-l', 'app=cascade']).items.length === 0,
      60_000,
    );
    kubectlOk(['apply', '-f', '-'], { input: deployment(ns, 'bg', 1) });
    kubectlOk(['delete', 'deployment', 'bg', '-n', ns]);
    await eventually(
      'background deletion of ReplicaSets and pods',
      () => kubectlJson<{ items: unknown[] }>(['get', 'replicasets,pods', '-n', ns, '-l', 'app=bg']).items.length === 0,
      60_000,
    );
  });
});
