// Shared by the sync integration tests: a pod to sync into, a local folder, a Syncer wired to the
// watcher, and the container's tree read back with the same listing the initial sync uses.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeClusters } from '../../../src/cluster/clusters';
import type { ClusterConnection } from '../../../src/cluster/api';
import { nullLogger } from '../../../src/core/logger';
import { parseConfig, type ServiceSync } from '../../../src/core/sync/config';
import { ignoreRules, type IgnoreRules } from '../../../src/core/sync/ignore-rules';
import { listingCommand, parseListing, type Tree } from '../../../src/core/sync/listing';
import { walkLocal } from '../../../src/sync/local-tree';
import { watchFolder } from '../../../src/sync/sources';
import { startServiceSync } from '../../../src/sync/service-sync';
import { Syncer, type SyncerOptions } from '../../../src/sync/syncer';
import { labels as sessionLabels } from '../../../src/core/session/route-contract';
import { coreApi, openClusters, type TestNamespace, developerContext, until } from '../../helpers/cluster';
import type { IDisposable } from '../../../src/core/lifecycle';

export async function createShellPod(
  ns: TestNamespace,
  name: string,
  image = 'busybox:1.36',
  command = ['sh', '-c', 'while :; do sleep 3600; done'],
  labels: Record<string, string> = { app: name },
): Promise<void> {
  await coreApi().createNamespacedPod({
    namespace: ns.name,
    body: {
      metadata: { name, labels },
      spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image, command }] },
    },
  });
  await until(`pod ${name} running`, async () => (await ns.readPod(name)).status?.phase === 'Running', 120_000);
}

export function tempFolder(): { dir: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'devlane-sync-'));
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Running {
  clusters: KubeClusters;
  conn: ClusterConnection;
  syncer: Syncer;
  rules: IgnoreRules;
  watcher: IDisposable;
  dispose(): void;
}

export async function startSync(
  ns: string,
  pod: string,
  localRoot: string,
  mapping: Partial<ServiceSync> = {},
  rules = ignoreRules({}),
  options: Partial<SyncerOptions> = {},
): Promise<Running> {
  const clusters = openClusters();
  const conn = clusters.connection(developerContext);
  const config = parseConfig(
    JSON.stringify({ version: 1, services: { s: { remotePath: '/app', action: 'none', ...mapping } } }),
  ).services.s;
  const syncer = new Syncer({
    api: conn.objects,
    resolveTarget: async () => ({ namespace: ns, pod, container: 'app' }),
    localRoot,
    mapping: config,
    rules,
    logger: nullLogger,
    backoff: { initialMs: 100, factor: 2, maxMs: 1000, jitter: 0.1 },
    ...options,
  });
  await syncer.start();
  const watcher = await watchFolder(localRoot, rules, syncer, nullLogger);
  return {
    clusters,
    conn,
    syncer,
    rules,
    watcher,
    dispose() {
      watcher.dispose();
      syncer.dispose();
      clusters.dispose();
    },
  };
}

/** The labels a session's developer copy carries, by which the product finds the pod to sync into. */
export const copyLabels = (session: string, service: string): Record<string, string> => ({
  [sessionLabels.session]: session,
  [sessionLabels.role]: 'dev',
  [sessionLabels.service]: service,
});

/**
 * Sync started as the editor and the CLI start it: the mapping from the workspace's
 * .vscode/devlane.json, the ignore files read from the mapped folder, the pod found by its labels.
 * `expected` are the ignores the test expects; they only say which paths the trees are compared by.
 */
export async function startServiceSyncIn(
  ns: string,
  workspaceFolder: string,
  target: { session: string; service: string },
  expected: IgnoreRules,
): Promise<Running> {
  const clusters = openClusters();
  const conn = clusters.connection(developerContext);
  const handle = await startServiceSync(
    { api: conn.objects, namespace: ns, ...target, workspaceFolder, logger: nullLogger },
    AbortSignal.timeout(120_000),
  );
  return {
    clusters,
    conn,
    syncer: handle.syncer,
    rules: expected,
    watcher: handle,
    dispose() {
      handle.dispose();
      clusters.dispose();
    },
  };
}

export async function remoteTree(
  conn: ClusterConnection,
  ns: string,
  pod: string,
  root = '/app',
  pruned: string[] = [],
): Promise<Tree> {
  const r = await conn.objects.exec(ns, pod, 'app', listingCommand(root, pruned), AbortSignal.timeout(30_000));
  const l = parseListing(r.stdout);
  if (l === 'no-root') return new Map();
  return l.tree;
}

const show = (t: Tree) =>
  [...t.entries()]
    .map(
      ([p, e]) => `${p} ${e.dir ? 'dir' : e.link !== undefined ? 'link' : e.hash.slice(0, 12)}${e.exec ? ' +x' : ''}`,
    )
    .sort();

/** Waits until the container's tree equals the local one minus ignores (symlink targets not compared); returns both listings' lines. */
export async function untilInStep(
  r: Running,
  ns: string,
  pod: string,
  localRoot: string,
  timeoutMs = 60_000,
): Promise<string[]> {
  let last = '';
  try {
    return await until(
      'the container to equal the local folder',
      async () => {
        const local = show(await walkLocal(localRoot, r.rules, 'sha256'));
        const remote = show(
          new Map(
            [...(await remoteTree(r.conn, ns, pod, '/app', r.rules.prunedNames))].filter(
              ([p, e]) => !r.rules.ignores(p, !!e.dir),
            ),
          ),
        );
        last = `local:\n  ${local.join('\n  ')}\nremote:\n  ${remote.join('\n  ')}`;
        return JSON.stringify(local) === JSON.stringify(remote) && local;
      },
      timeoutMs,
    );
  } catch (e) {
    throw new Error(
      `${(e as Error).message}\n${last.slice(0, 6000)}\nsync status: ${JSON.stringify(r.syncer.current)}`,
      { cause: e },
    );
  }
}
