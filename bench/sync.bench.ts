// bench: needs-cluster
// Hot sync: save → file-in-container latency for a one-line change through Devlane's open receiver
// connection, side by side with `kubectl cp` of the same file in the same run; and the initial sync
// of 10,000 files when 1% and when 100% of them differ from the container; and save → new code
// answering through a session's route for a Node service restarted on sync. Figures only.
import { benchKubeconfig } from './target';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClusters } from '../src/cluster/clusters';
import { nullLogger } from '../src/core/logger';
import { parseConfig } from '../src/core/sync/config';
import { ignoreRules } from '../src/core/sync/ignore-rules';
import { Emitter } from '../src/core/events';
import { RoutedProxy } from '../src/proxy/routed-proxy';
import { Sessions } from '../src/session/sessions';
import { findMapping, startServiceSync } from '../src/sync/service-sync';
import { Syncer } from '../src/sync/syncer';
import { contexts } from '../test/helpers/kubectl';
import { REPO } from '../test/helpers/sandbox';
import { shopManifests } from '../test/helpers/shop';
import { type Figure, percentile, report, timeEach } from './lib';

const kubeconfig = benchKubeconfig;
const ns = `dl-bench-sync-${process.pid}`;
const samples = 50;
const figures: Figure[] = [];
const fig = (metric: string, value: number, unit = 'ms', baseline?: string, baseline_value?: number) =>
  figures.push({ bench: 'sync', metric, value, unit, ...(baseline ? { baseline, baseline_value } : {}) });

const kubectl = (args: string[]) => {
  const r = spawnSync('kubectl', ['--kubeconfig', kubeconfig, '--context', contexts.admin, ...args], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

const clusters = new KubeClusters({ setting: () => kubeconfig, env: {} }, { logger: nullLogger, idleMs: 0 });
const conn = clusters.connection(contexts.admin);
const mapping = parseConfig(JSON.stringify({ version: 1, services: { b: { remotePath: '/app', action: 'none' } } }))
  .services.b;
const local = mkdtempSync(join(tmpdir(), 'devlane-bench-sync-'));

const shopNs = `${ns}-shop`;

/**
 * Save → new code answering through the route: the demo's ratings (Node) in a session, synced
 * from a copy of the demo workspace with the restart action; each sample changes one value in
 * server.js, fires the save, and asks through the routed proxy (the session's key on every
 * request) until the answer carries the new value.
 */
async function saveToNewCode(): Promise<void> {
  kubectl(['create', 'namespace', shopNs]);
  spawnSync('kubectl', ['--kubeconfig', kubeconfig, '--context', contexts.admin, 'apply', '-f', '-'], {
    input: shopManifests(shopNs),
    encoding: 'utf8',
  });
  kubectl(['wait', '-n', shopNs, '--for=condition=Available', 'deployment/ratings', '--timeout=120s']);
  const workspace = join(local, 'workspace');
  cpSync(join(REPO, 'sandbox/demo/src'), workspace, { recursive: true });
  const sessions = new Sessions({
    api: conn.objects,
    context: contexts.admin,
    namespace: shopNs,
    participant: 'bench',
    logger: nullLogger,
  });
  const signal = AbortSignal.timeout(600_000);
  const started = await sessions.start(
    { service: 'ratings', session: 'bench', sync: await findMapping(workspace, 'ratings') },
    signal,
  );
  const saves = new Emitter<string>();
  const sync = await startServiceSync(
    {
      api: conn.objects,
      namespace: shopNs,
      session: 'bench',
      service: 'ratings',
      workspaceFolder: workspace,
      logger: nullLogger,
      onDidSave: saves.event,
    },
    signal,
  );
  const proxy = await RoutedProxy.start({
    cluster: conn,
    namespace: shopNs,
    service: 'ratings',
    routeKey: started.routeKey,
    devService: () => started.devService,
    logger: nullLogger,
  });
  try {
    const file = join(workspace, 'ratings/server.js');
    const source = readFileSync(file, 'utf8');
    const stars = async () => {
      try {
        const r = await fetch(new URL('/ratings/p-1', proxy.url));
        return r.ok ? ((await r.json()) as { stars: number }).stars : undefined;
      } catch {
        return undefined;
      }
    };
    const times = await timeEach(20, async (i) => {
      const want = 100 + i;
      writeFileSync(file, source.replace("'p-1': 4.5", `'p-1': ${want}`));
      saves.fire(file);
      const deadline = Date.now() + 60_000;
      while ((await stars()) !== want) {
        if (Date.now() > deadline)
          throw new Error(
            `the routed answer did not show the saved change within 60 s (sync: ${JSON.stringify(sync.syncer.current)})`,
          );
        await new Promise((r) => setTimeout(r, 2));
      }
    });
    fig('save_to_new_code_through_route_p50', percentile(times, 50));
    fig('save_to_new_code_through_route_p99', percentile(times, 99));
  } finally {
    proxy.dispose();
    sync.dispose();
    started.heartbeat.dispose();
    await sessions.stop('bench', AbortSignal.timeout(120_000));
  }
}

function syncer(root: string): Syncer {
  return new Syncer({
    api: conn.objects,
    resolveTarget: async () => ({ namespace: ns, pod: 'dev', container: 'dev' }),
    localRoot: root,
    mapping,
    rules: ignoreRules({}),
    logger: nullLogger,
  });
}

async function main(): Promise<void> {
  try {
    kubectl(['create', 'namespace', ns]);
    kubectl([
      'run',
      'dev',
      '-n',
      ns,
      '--image=busybox:1.36',
      '--restart=Never',
      '--command',
      '--',
      'sh',
      '-c',
      'while :; do sleep 3600; done',
    ]);
    kubectl(['wait', '-n', ns, '--for=condition=Ready', 'pod/dev', '--timeout=120s']);

    // Save → file in container: one source file of ~200 lines, one line changed per save. The time
    // ends when the receiver answered that the batch was extracted in the container.
    const small = join(local, 'small');
    mkdirSync(small);
    const lines = Array.from({ length: 200 }, (_, i) => `export const line${i} = ${i};`);
    writeFileSync(join(small, 'app.ts'), lines.join('\n'));
    const s = syncer(small);
    await s.start();
    const devlane = await timeEach(samples, async (i) => {
      lines[100] = `export const changed = ${i};`;
      writeFileSync(join(small, 'app.ts'), lines.join('\n'));
      s.changedPath(join(small, 'app.ts'), 'modify');
      await s.whenIdle();
    });
    s.dispose();
    const cp = await timeEach(20, async (i) => {
      lines[100] = `export const copied = ${i};`;
      writeFileSync(join(small, 'app.ts'), lines.join('\n'));
      kubectl(['cp', join(small, 'app.ts'), `${ns}/dev:/app/app.ts`, '-c', 'dev']);
    });
    fig('save_to_container_p50', percentile(devlane, 50), 'ms', 'kubectl_cp_p50', percentile(cp, 50));
    fig('save_to_container_p99', percentile(devlane, 99), 'ms', 'kubectl_cp_p99', percentile(cp, 99));

    // Initial sync of 10,000 files (100 folders of 100 files, ~1 KB each).
    const big = join(local, 'big');
    const write = (tag: (i: number) => string) => {
      for (let d = 0; d < 100; d++) {
        mkdirSync(join(big, `dir${d}`), { recursive: true });
        for (let f = 0; f < 100; f++)
          writeFileSync(join(big, `dir${d}`, `file${f}.js`), `// ${tag(d * 100 + f)}\n${'x'.repeat(1000)}\n`);
      }
    };
    const initial = async () => {
      const t = process.hrtime.bigint();
      const sy = syncer(big);
      await sy.start();
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      const carried = sy.current.carried;
      sy.dispose();
      return { ms, carried };
    };
    write(() => 'v0');
    const fresh = await initial();
    fig('initial_sync_10k_all_new', fresh.ms);
    const none = await initial();
    fig('initial_sync_10k_0pct_changed', none.ms);
    write((i) => (i % 100 === 0 ? 'v1' : 'v0'));
    const one = await initial();
    fig('initial_sync_10k_1pct_changed', one.ms);
    fig('initial_sync_10k_1pct_changed_files_sent', one.carried, 'files');
    write(() => 'v2');
    const all = await initial();
    fig('initial_sync_10k_100pct_changed', all.ms);
    fig('initial_sync_10k_100pct_changed_files_sent', all.carried, 'files');

    await saveToNewCode();
  } finally {
    clusters.dispose();
    rmSync(local, { recursive: true, force: true });
    for (const n of [ns, shopNs])
      spawnSync(
        'kubectl',
        ['--kubeconfig', kubeconfig, '--context', contexts.admin, 'delete', 'namespace', n, '--wait=false'],
        { stdio: 'ignore' },
      );
  }
  report(figures);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
