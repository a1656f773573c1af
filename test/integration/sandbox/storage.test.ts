// PersistentVolumeClaims in a cluster without storage: served, validated and stored; a claim
// stays Pending with an event saying why; a pod that mounts one waits (ContainerCreating) with a
// FailedMount event naming the claim, instead of silently getting an empty directory.
// The sandbox-specific wording is only checked against the sandbox.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, isSandbox, kubectl, kubectlJson, kubectlOk, tempNamespace } from '../../helpers/kubectl';

const claim = (ns: string, name: string, extra = '') => `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: ${name}, namespace: ${ns}}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
${extra}`;

const pod = (ns: string, name: string, claimName: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${ns}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox:1.36
    command: [sh, -c, "ls /data; sleep 3600"]
    volumeMounts: [{name: data, mountPath: /data}]
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: ${claimName}}
`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

describe('PersistentVolumeClaims without storage', () => {
  let ns: string;
  let cleanup: () => void;
  before(() => ({ name: ns, cleanup } = tempNamespace('dl-pvc')));
  after(() => cleanup());

  it('is served in discovery as core v1, namespaced, with a status subresource and the pvc short name', () => {
    const res = kubectlOk(['api-resources', '--api-group=', '-o', 'wide']);
    assert.match(res, /^persistentvolumeclaims\s+pvc\s+v1\s+true\s+PersistentVolumeClaim\s/m);
    const list = JSON.parse(kubectlOk(['get', '--raw', '/api/v1']));
    assert.ok(list.resources.some((r: Any) => r.name === 'persistentvolumeclaims/status'));
  });

  it('stores a claim, which stays Pending, with an event saying nothing can bind it', async () => {
    kubectlOk(['apply', '-f', '-'], { input: claim(ns, 'data') });
    const c = kubectlJson(['get', 'pvc', 'data', '-n', ns, '-o', 'json']);
    assert.equal(c.status.phase, 'Pending');
    assert.equal(c.spec.volumeMode, 'Filesystem');
    const get = kubectlOk(['get', 'pvc', '-n', ns]);
    assert.match(get, /^NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+AGE/);
    assert.match(get, /^data\s+Pending\s/m);
    const ev = await eventually(
      'the claim event',
      () => {
        const list = kubectlJson([
          'get',
          'events',
          '-n',
          ns,
          '--field-selector',
          'involvedObject.name=data,involvedObject.kind=PersistentVolumeClaim',
          '-o',
          'json',
        ]);
        return list.items.find((e: Any) => e.reason === 'FailedBinding');
      },
      20_000,
    );
    assert.match(ev.message, /no persistent volumes available for this claim/);
    if (isSandbox()) assert.match(ev.message, /sandbox has no PersistentVolumes and no storage provisioner/);
    const describe = kubectlOk(['describe', 'pvc', 'data', '-n', ns]);
    assert.match(describe, /Status:\s+Pending/);
    assert.match(describe, /FailedBinding/);
    // Still Pending a while later.
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(kubectlJson(['get', 'pvc', 'data', '-n', ns, '-o', 'json']).status.phase, 'Pending');
    // A second apply (strategic merge patch) works.
    const again = kubectl(['apply', '-f', '-'], {
      input: claim(ns, 'data').replace('metadata: {name: data,', 'metadata: {labels: {a: b}, name: data,'),
    });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /persistentvolumeclaim\/data configured/);
  });

  it('validates claims as a real server does', () => {
    const noModes = kubectl(['apply', '-f', '-'], {
      input: `apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: bad, namespace: ${ns}}\nspec:\n  resources: {requests: {storage: 1Gi}}\n`,
    });
    assert.notEqual(noModes.code, 0);
    assert.match(noModes.stderr, /spec\.accessModes: Required value: at least 1 access mode is required/);
    const noSize = kubectl(['apply', '-f', '-'], {
      input: `apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: bad, namespace: ${ns}}\nspec:\n  accessModes: [ReadWriteOnce]\n`,
    });
    assert.notEqual(noSize.code, 0);
    assert.match(noSize.stderr, /spec\.resources\[storage\]: Required value/);
    const change = kubectl([
      'patch',
      'pvc',
      'data',
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"spec":{"accessModes":["ReadWriteMany"]}}',
    ]);
    assert.notEqual(change.code, 0);
    assert.match(change.stderr, /spec: Forbidden: spec is immutable after creation/);
  });

  it('keeps a pod that mounts the claim waiting with a FailedMount event naming the claim, and never starts it', async () => {
    kubectlOk(['apply', '-f', '-'], {
      input: pod(ns, 'uses-claim', 'data') + '---\n' + pod(ns, 'uses-missing', 'nope'),
    });
    const ev = await eventually(
      'the FailedMount event',
      () => {
        const list = kubectlJson([
          'get',
          'events',
          '-n',
          ns,
          '--field-selector',
          'involvedObject.name=uses-claim',
          '-o',
          'json',
        ]);
        return list.items.find((e: Any) => e.reason === 'FailedMount' || e.reason === 'FailedScheduling');
      },
      30_000,
    );
    assert.match(ev.message, /data/);
    if (isSandbox())
      assert.match(ev.message, /PersistentVolumeClaim "dl-pvc-[^/]+\/data" is not bound.*no persistent storage/);
    const missing = await eventually(
      'the FailedMount event of the missing claim',
      () => {
        const list = kubectlJson([
          'get',
          'events',
          '-n',
          ns,
          '--field-selector',
          'involvedObject.name=uses-missing',
          '-o',
          'json',
        ]);
        return list.items.find((e: Any) => e.reason === 'FailedMount' || e.reason === 'FailedScheduling');
      },
      30_000,
    );
    assert.match(missing.message, /persistentvolumeclaim "nope" not found/);
    await new Promise((r) => setTimeout(r, 1500));
    const p = kubectlJson(['get', 'pod', 'uses-claim', '-n', ns, '-o', 'json']);
    assert.equal(p.status.phase, 'Pending');
    for (const cs of p.status.containerStatuses ?? []) {
      assert.equal(cs.ready, false);
      assert.equal(cs.state.running, undefined, 'the container must not run without its volume');
    }
    const logs = kubectl(['logs', 'uses-claim', '-n', ns]);
    assert.notEqual(logs.code, 0, 'no container ran');
  });
});
