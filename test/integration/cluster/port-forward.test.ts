// Port Forward on the sandbox and on a real Kubernetes cluster (test/helpers/target.ts): real HTTP
// requests through the tunnel, including a response large enough to exercise back-pressure, and a
// clean stop.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeClusters } from '../../../src/cluster/clusters';
import { ClusterError } from '../../../src/core/errors';
import { needsCluster, openClusters, TestNamespace, developerContext, until } from '../../helpers/cluster';
import { getLocal } from '../../helpers/http';

const server = `require('http').createServer((q,s)=>s.end(q.url==='/big'?'x'.repeat(4*1024*1024):'ok')).listen(8080)`;

const get = getLocal;

describe('port forward', { skip: needsCluster.skip }, () => {
  let clusters: KubeClusters;
  let ns: TestNamespace;

  before(async () => {
    clusters = openClusters();
    ns = await TestNamespace.create('dl-pf');
    await ns.createNodePod('web', server, { app: 'web' }, 8080);
    await until(
      'the pod to be ready',
      async () => (await ns.readPod('web')).status?.containerStatuses?.[0]?.ready,
      120_000,
    );
  });
  after(async () => {
    clusters?.dispose();
    await ns?.dispose();
  });

  it('carries HTTP requests to the pod and stops cleanly', { timeout: 120_000 }, async () => {
    const forward = await clusters
      .connection(developerContext)
      .portForward({ namespace: ns.name, pod: 'web', remotePort: 8080, localPort: 0 });
    let closed = false;
    forward.onDidClose(() => (closed = true));
    try {
      assert.ok(forward.localPort > 0);
      // The server may need a moment after "ready" to accept connections.
      const first = await until(
        'a response through the tunnel',
        () => get(forward.localPort, '/').catch(() => undefined),
        30_000,
      );
      assert.deepEqual({ status: first.status, body: first.body }, { status: 200, body: 'ok' });
      const [a, b] = await Promise.all([get(forward.localPort, '/'), get(forward.localPort, '/')]);
      assert.equal(a.body + b.body, 'okok', 'two connections at once');
      const big = await get(forward.localPort, '/big');
      assert.equal(big.body.length, 4 * 1024 * 1024);
    } finally {
      forward.dispose();
    }
    assert.ok(closed);
    await assert.rejects(get(forward.localPort, '/'), /ECONNREFUSED/);
  });

  it('reports a missing pod before listening', async () => {
    const err = await clusters
      .connection(developerContext)
      .portForward({ namespace: ns.name, pod: 'nope', remotePort: 8080, localPort: 0 })
      .catch((e: unknown) => e);
    assert.ok(err instanceof ClusterError, String(err));
    assert.equal(err.kind, 'not-found');
  });
});
