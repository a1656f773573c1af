// Sync goes into the container the Service sends traffic to, where the copy runs the program under
// the restart supervisor, even when it is not the pod's first container: the demo's ratings
// Deployment gets a sidecar in front of it, and a file saved locally shows up in ratings' /app
// only.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeClusters } from '../../../src/cluster/clusters';
import { findMapping, type ServiceSyncHandle, startServiceSync } from '../../../src/sync/service-sync';
import { kubeconfigPath, MemoryLogger, needsCluster } from '../../helpers/cluster';
import { eventually, kubectl, kubectlJson, kubectlOk } from '../../helpers/kubectl';
import { REPO } from '../../helpers/sandbox';
import { aliceSessions } from '../../helpers/session';
import { createShop, type Shop } from '../../helpers/shop';

/* eslint-disable @typescript-eslint/no-explicit-any */
describe('sync: into the container the Service targets', needsCluster, () => {
  let shop: Shop;
  let workspace: string;
  const clusters = new KubeClusters(
    { setting: () => kubeconfigPath, env: {} },
    { logger: new MemoryLogger(), idleMs: 0 },
  );
  before(async () => {
    shop = await createShop('dl-sc', { istio: false });
    workspace = mkdtempSync(join(tmpdir(), 'devlane-ws-'));
    cpSync(join(REPO, 'sandbox/demo/src'), workspace, { recursive: true });
    const sidecar = { name: 'sidecar', image: 'busybox:1.36', command: ['sh', '-c', 'while :; do sleep 3600; done'] };
    kubectlOk([
      'patch',
      'deployment',
      'ratings',
      '-n',
      shop.namespace,
      '--type=json',
      '-p',
      JSON.stringify([{ op: 'add', path: '/spec/template/spec/containers/0', value: sidecar }]),
    ]);
    await eventually(
      'ratings to run with its sidecar first',
      () => {
        const pods = kubectlJson(['get', 'pods', '-n', shop.namespace, '-l', 'app=ratings']).items as any[];
        return (
          pods.length === 1 &&
          pods[0].spec.containers[0].name === 'sidecar' &&
          pods[0].status?.containerStatuses?.every((c: any) => c.ready)
        );
      },
      120_000,
    );
  });
  after(() => {
    clusters.dispose();
    shop?.cleanup();
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  it("writes a local file into ratings' /app, not the sidecar's", { timeout: 300_000 }, async () => {
    const ns = shop.namespace;
    const { conn, logger, sessions } = aliceSessions(clusters, ns);
    const signal = AbortSignal.timeout(240_000);
    const mapping = await findMapping(workspace, 'ratings');
    assert.equal(mapping?.container, undefined, 'the workspace does not name a container');
    const started = await sessions.start({ service: 'ratings', session: 'sc', sync: mapping }, signal);
    let sync: ServiceSyncHandle | undefined;
    try {
      writeFileSync(join(workspace, 'ratings', 'marker.txt'), 'synced\n');
      sync = await startServiceSync(
        { api: conn.objects, namespace: ns, session: 'sc', service: 'ratings', workspaceFolder: workspace, logger },
        signal,
      );
      await sync.syncer.whenIdle();
      const pod = (
        kubectlJson(['get', 'pods', '-n', ns, '-l', 'devlane.dev/session=sc,devlane.dev/role=dev']).items as any[]
      ).find((p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp);
      assert.deepEqual(
        pod.spec.containers.map((c: any) => c.name),
        ['sidecar', 'ratings'],
      );
      const cat = (container: string) =>
        kubectl(['exec', '-n', ns, pod.metadata.name, '-c', container, '--', 'cat', '/app/marker.txt']);
      assert.equal(cat('ratings').stdout, 'synced\n');
      assert.notEqual(cat('sidecar').code, 0, 'nothing was written into the sidecar');
      assert.deepEqual(
        sync.syncer.current.failures,
        [],
        'the restart after the batch reached the supervisor in ratings',
      );
    } finally {
      sync?.dispose();
      started.heartbeat.dispose();
      await sessions.stop('sc', AbortSignal.timeout(120_000));
    }
  });
});
