// src/cluster/ against an API server (the sandbox, and a real Kubernetes cluster: see
// test/helpers/target.ts): contexts from the kubeconfig, informers that list and then follow
// changes, reading single objects, and errors that say what happened.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeClusters } from '../../../src/cluster/clusters';
import { ClusterError } from '../../../src/core/errors';
import {
  isSandbox,
  kubeconfigPath,
  needsCluster,
  openClusters,
  TestNamespace,
  developerContext,
  testContext,
  until,
} from '../../helpers/cluster';

describe('cluster listing', { skip: needsCluster.skip }, () => {
  let clusters: KubeClusters;
  let ns: TestNamespace;

  before(async () => {
    clusters = openClusters();
    ns = await TestNamespace.create();
  });
  after(async () => {
    clusters?.dispose();
    await ns?.dispose();
  });

  it('lists every context of the kubeconfig, the current one first', () => {
    const state = clusters.kubeconfig;
    assert.deepEqual(state.files, [kubeconfigPath]);
    assert.ok(state.contexts.length >= 1);
    assert.ok(
      state.contexts.some((c) => c.name === testContext),
      `context ${testContext} is listed`,
    );
    if (state.currentContext) assert.equal(state.contexts[0].name, state.currentContext);
  });

  it('lists namespaces, including one created for this test', async () => {
    const namespaces = clusters.connection(developerContext).watch('Namespace');
    try {
      await until('the namespace informer to see the test namespace', () => namespaces.get(ns.name));
      assert.equal(namespaces.status.phase, 'synced');
    } finally {
      namespaces.dispose();
    }
  });

  it('follows services as they are created and deleted, and equals the server afterwards', async () => {
    await ns.createService('before', { app: 'before' });
    const services = clusters.connection(developerContext).watch('Service', ns.name);
    try {
      await until('the first list', () => services.status.hasSynced);
      assert.ok(services.get('before'));
      await ns.createService('web', { app: 'web' });
      await until('the watch to deliver the new service', () => services.get('web'));
      assert.equal(services.get('web')?.spec?.selector?.app, 'web');
      await ns.deleteService('before');
      await until('the watch to deliver the deletion', () => !services.get('before'));
      assert.deepEqual([...services.values()].map((s) => s.metadata.name).sort(), await ns.serviceNames());
    } finally {
      services.dispose();
    }
  });

  it('reads one object as the server has it', async () => {
    await ns.createService('api', { app: 'api' });
    const svc = await clusters
      .connection(developerContext)
      .getObject('Service', ns.name, 'api', AbortSignal.timeout(10_000));
    assert.equal(svc.kind, 'Service');
    assert.equal(svc.metadata.name, 'api');
  });

  it('reports a missing object as not-found, naming what it tried', async () => {
    const err = await clusters
      .connection(developerContext)
      .getObject('Pod', ns.name, 'no-such-pod', AbortSignal.timeout(10_000))
      .catch((e: unknown) => e);
    assert.ok(err instanceof ClusterError);
    assert.equal(err.kind, 'not-found');
    assert.match(err.message, /no-such-pod/);
  });

  it(
    "reports a forbidden list with the server's words, and keeps retrying",
    { skip: isSandbox ? false : 'needs a user who may not list pods in kube-system (sandbox-alice)' },
    async () => {
      // alice is bound in the demo namespaces only: kube-system is not hers to read.
      const pods = clusters.connection('sandbox-alice').watch('Pod', 'kube-system');
      try {
        await until('the informer to report the error', () => pods.status.phase === 'error');
        assert.equal(pods.status.error?.kind, 'forbidden');
        assert.match(
          pods.status.error?.message ?? '',
          /User "alice" cannot list resource "pods" in API group "" in the namespace "kube-system"/,
        );
        assert.equal(pods.status.hasSynced, false);
      } finally {
        pods.dispose();
      }
    },
  );

  it('reports an unreachable server as such, without throwing from the informer', async () => {
    const { KubeClusters } = await import('../../../src/cluster/clusters');
    const { writeFileSync, mkdtempSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'dl-unreachable-'));
    const file = join(dir, 'config');
    // Port 9 (discard) on loopback: nothing listens there.
    writeFileSync(
      file,
      'clusters: [{name: c, cluster: {server: "https://127.0.0.1:9"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
    );
    const offline = new KubeClusters(
      { setting: () => file, env: {} },
      { logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {} }, idleMs: 0 },
    );
    const namespaces = offline.connection('x').watch('Namespace');
    try {
      await until('the informer to report the error', () => namespaces.status.phase === 'error');
      assert.equal(namespaces.status.error?.kind, 'unreachable');
      assert.match(
        namespaces.status.error?.message ?? '',
        /Cannot reach https:\/\/127\.0\.0\.1:9 \(connection refused\)/,
      );
    } finally {
      namespaces.dispose();
      offline.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
