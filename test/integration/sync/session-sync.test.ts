// Hot sync in a routed session, as Develop This Service runs it: the workspace maps ratings to
// /app (.vscode/devlane.json, as the demo ships it), the session's copy runs under the restart
// supervisor, and a saved change is answered through the session's route while everyone else
// still gets the original. A save that breaks the program does not restart the pod, and the next
// save brings it back; meanwhile the copy's output names the error at the local file and line.
// When the copy's pod is replaced (deleted, as an eviction or a node drain would), sync follows the
// new pod and the next save reaches it. Runs against any cluster given by kubeconfig.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeClusters } from '../../../src/cluster/clusters';
import { findMapping, type ServiceSyncHandle, startServiceSync } from '../../../src/sync/service-sync';
import { CopyTroubleWatch } from '../../../src/sync/copy-trouble-watch';
import { kubeconfigPath, MemoryLogger, needsCluster } from '../../helpers/cluster';
import { Emitter } from '../../../src/core/events';
import { kubectl, kubectlJson, kubectlOk } from '../../helpers/kubectl';
import { REPO } from '../../helpers/sandbox';
import { aliceSessions, eventually, getFromPod, expectRestored, snapshot, startClientPod } from '../../helpers/session';
import { createShop, type Shop } from '../../helpers/shop';

/* eslint-disable @typescript-eslint/no-explicit-any */
describe('hot sync in a session: save, and the route answers with the new code', needsCluster, () => {
  let shop: Shop;
  let client: string;
  let workspace: string;
  const clusters = new KubeClusters(
    { setting: () => kubeconfigPath, env: {} },
    { logger: new MemoryLogger(), idleMs: 0 },
  );
  before(async () => {
    shop = await createShop('dl-hs', { istio: false });
    client = await startClientPod(shop.namespace);
    workspace = mkdtempSync(join(tmpdir(), 'devlane-ws-'));
    cpSync(join(REPO, 'sandbox/demo/src'), workspace, { recursive: true });
  });
  after(() => {
    clusters.dispose();
    shop?.cleanup();
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  /** Alice's session operations in the shop's namespace, and that namespace before the test. */
  function aliceInShop() {
    const ns = shop.namespace;
    const before = snapshot(ns);
    return { ns, before, ...aliceSessions(clusters, ns), signal: AbortSignal.timeout(240_000) };
  }

  /** Which copy of ratings answered for p-1 (through the route when `headers` carry the key), and its stars. */
  function stars(headers: Record<string, string> = {}): string {
    const r = getFromPod(shop.namespace, client, 'http://ratings/ratings/p-1', headers);
    return r.status === 200 ? `${r.body.copy} ${r.body.stars}` : `status ${r.status}`;
  }

  it('restarts the process, not the pod, on each save; routed requests see the change, others do not', async () => {
    const { ns, before, conn, logger, sessions, signal } = aliceInShop();
    const mapping = await findMapping(workspace, 'ratings');
    assert.deepEqual(
      mapping && { localPath: mapping.localPath, remotePath: mapping.remotePath, action: mapping.action },
      { localPath: 'ratings', remotePath: '/app', action: 'restart' },
    );
    const started = await sessions.start({ service: 'ratings', session: 'hs', sync: mapping }, signal);
    let sync: ServiceSyncHandle | undefined;
    try {
      const key = { 'x-devlane-route': started.routeKey };
      assert.equal(stars(key), 'devlane:hs 4.5');
      // Saves arrive as the editor reports them (the watcher sees the same writes; duplicates are dropped).
      const saves = new Emitter<string>();
      sync = await startServiceSync(
        {
          api: conn.objects,
          namespace: ns,
          session: 'hs',
          service: 'ratings',
          workspaceFolder: workspace,
          logger,
          onDidSave: saves.event,
        },
        signal,
      );

      const file = join(workspace, 'ratings/server.js');
      const original = readFileSync(file, 'utf8');
      writeFileSync(file, original.replace("'p-1': 4.5", "'p-1': 1.5"));
      saves.fire(file);
      await eventually('the routed answer to carry the saved change', () => stars(key) === 'devlane:hs 1.5', 60_000);
      assert.equal(stars(), 'original 4.5', 'a request without the key still reaches the original');

      // A save that breaks the program: the container stays up (the supervisor waits), the editor is
      // told where the error is (at the local file), and the next save fixes it and clears that.
      const trouble = new CopyTroubleWatch(conn, {
        namespace: ns,
        session: 'hs',
        service: 'ratings',
        mapping: { localRoot: sync.localRoot, remotePath: sync.mapping.remotePath },
      });
      try {
        const broken = `${original}\nthis is not javascript(\n`;
        writeFileSync(file, broken);
        saves.fire(file);
        await eventually(
          'the broken program to have exited',
          () => /the process exited with code \d+; the next sync restarts it/.test(devLogs(ns)),
          60_000,
        );
        await eventually('the watch to report the exit', () => trouble.trouble !== undefined, 60_000);
        assert.notEqual(trouble.trouble!.exitCode, 0);
        assert.match(trouble.trouble!.error ?? '', /^SyntaxError: /);
        assert.deepEqual(
          trouble.trouble!.problems.map((p) => [p.localPath, p.line]),
          [[file, broken.split('\n').findIndex((l) => l.startsWith('this is not')) + 1]],
          'the syntax error is placed at the local file and line',
        );
        writeFileSync(file, original.replace("'p-1': 4.5", "'p-1': 2.5"));
        saves.fire(file);
        await eventually(
          'the fixed program to answer through the route',
          () => stars(key) === 'devlane:hs 2.5',
          60_000,
        );
        await eventually('the restart to clear the trouble', () => trouble.trouble === undefined, 30_000);
      } finally {
        trouble.dispose();
      }

      const pod = devPod(ns, 'hs');
      assert.equal(
        pod.status.containerStatuses[0].restartCount,
        0,
        'the container was never restarted: only the process was',
      );
      assert.equal(sync.syncer.current.failures.length, 0, JSON.stringify(sync.syncer.current.failures));
    } finally {
      sync?.dispose();
      started.heartbeat.dispose();
      await sessions.stop('hs', AbortSignal.timeout(120_000));
    }
    await expectRestored(ns, before);
  });

  it("follows a replaced pod: after the copy's pod is deleted, the next save reaches the new one", async () => {
    const { ns, before, conn, logger, sessions, signal } = aliceInShop();
    const started = await sessions.start(
      { service: 'ratings', session: 'rp', sync: await findMapping(workspace, 'ratings') },
      signal,
    );
    const file = join(workspace, 'ratings/server.js');
    // As shipped (the test before may have left its own edit in the workspace).
    const original = readFileSync(join(REPO, 'sandbox/demo/src/ratings/server.js'), 'utf8');
    let sync: ServiceSyncHandle | undefined;
    try {
      const key = { 'x-devlane-route': started.routeKey };
      const saves = new Emitter<string>();
      sync = await startServiceSync(
        {
          api: conn.objects,
          namespace: ns,
          session: 'rp',
          service: 'ratings',
          workspaceFolder: workspace,
          logger,
          onDidSave: saves.event,
        },
        signal,
      );
      writeFileSync(file, original.replace("'p-1': 4.5", "'p-1': 1.5"));
      saves.fire(file);
      await eventually('the routed answer to carry the first save', () => stars(key) === 'devlane:rp 1.5', 60_000);

      const first = devPod(ns, 'rp').metadata.name;
      kubectlOk(['delete', 'pod', first, '-n', ns, '--wait=false']);
      const second = await eventually(
        'a new running pod of the copy',
        () => {
          const name = devPod(ns, 'rp').metadata.name;
          return name !== first && name;
        },
        120_000,
      );
      writeFileSync(file, original.replace("'p-1': 4.5", "'p-1': 3.5"));
      saves.fire(file);
      await eventually(
        'the routed answer to carry the save made after the pod was replaced',
        () => stars(key) === 'devlane:rp 3.5',
        120_000,
      );
      const synced = kubectlOk(['exec', '-n', ns, second, '--', 'cat', '/app/server.js']);
      assert.match(synced, /'p-1': 3\.5/, `the new pod ${second} holds the saved file`);
    } finally {
      writeFileSync(file, original);
      sync?.dispose();
      started.heartbeat.dispose();
      await sessions.stop('rp', AbortSignal.timeout(120_000));
    }
    await expectRestored(ns, before);
  });

  function devPod(ns: string, session: string): any {
    const pods = kubectlJson(['get', 'pods', '-n', ns, '-l', `devlane.dev/session=${session},devlane.dev/role=dev`])
      .items as any[];
    const running = pods.find((p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp);
    if (!running) throw new Error(`no running dev pod (${pods.length} pods)`);
    return running;
  }

  function devLogs(ns: string): string {
    return kubectlJson(['get', 'pods', '-n', ns, '-l', 'devlane.dev/session=hs,devlane.dev/role=dev']).items.length
      ? logsOf(ns, devPod(ns, 'hs').metadata.name)
      : '';
  }
});

function logsOf(ns: string, pod: string): string {
  return kubectl(['logs', '-n', ns, pod]).stdout;
}
