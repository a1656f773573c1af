// A watch narrowed on the server: one pod's Warning Events, as a copy's start reports them,
// without the rest of the namespace's Events.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeClusters } from '../../../src/cluster/clusters';
import { apiTypes } from '../../../src/core/api-types';
import type { KubeObject } from '../../../src/core/resources';
import { coreApi, needsCluster, openClusters, TestNamespace, developerContext, until } from '../../helpers/cluster';

describe('watch narrowed by field selector', { skip: needsCluster.skip }, () => {
  let clusters: KubeClusters;
  let ns: TestNamespace;
  before(async () => {
    clusters = openClusters();
    ns = await TestNamespace.create('dl-sel');
  });
  after(async () => {
    clusters?.dispose();
    await ns?.dispose();
  });

  const event = (name: string, pod: string, type: 'Warning' | 'Normal') =>
    coreApi().createNamespacedEvent({
      namespace: ns.name,
      body: {
        metadata: { name },
        involvedObject: { kind: 'Pod', name: pod, namespace: ns.name },
        type,
        reason: 'FailedMount',
        message: `${name} about ${pod}`,
        firstTimestamp: new Date(),
        lastTimestamp: new Date(),
        count: 1,
        source: { component: 'test' },
      },
    });

  it("holds one pod's warnings, before and after it started, and nothing else", async () => {
    await event('before', 'copy-1', 'Warning');
    await event('other-pod', 'web-1', 'Warning');
    await event('normal', 'copy-1', 'Normal');
    const watch = clusters
      .connection(developerContext)
      .objects.watchSelected<KubeObject & { message?: string }>(apiTypes.event, ns.name, {
        fieldSelector: 'involvedObject.kind=Pod,involvedObject.name=copy-1,type=Warning',
      });
    try {
      await until('the first list', () => watch.status.hasSynced);
      assert.deepEqual(
        [...watch.values()].map((e) => e.metadata.name),
        ['before'],
      );
      // In this order: had the other pod's warning passed the selector, it would arrive first.
      await event('other-pod-2', 'web-1', 'Warning');
      await event('after', 'copy-1', 'Warning');
      await until('the watch to deliver the new warning', () => watch.get('after'));
      assert.deepEqual([...watch.values()].map((e) => e.metadata.name).sort(), ['after', 'before']);
      assert.equal(watch.get('after')?.message, 'after about copy-1');
    } finally {
      watch.dispose();
    }
    assert.equal(watch.status.phase, 'stopped');
  });
});
