// Saves under steady routed load, as a developer works: a routed session on ratings with hot sync,
// routed requests arriving steadily, and saves of ratings/server.js, each of which restarts the
// copy's program (0.1–0.2 s with nothing listening). Used by the hot-sync test (no routed request
// may fail) and the `saves` benchmark (how many failed, and what the wait added to latency).
// The routed requests come from a client pod through the Service (the router's or the mesh's
// path), or, with `local`, from this process through Open Routed URL and Try a request (the paths
// that go straight to the copy's pod).
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClusters } from '../../src/cluster/clusters';
import { Emitter } from '../../src/core/events';
import { RoutedProxy } from '../../src/proxy/routed-proxy';
import { sendTry } from '../../src/proxy/try-request';
import { Sessions } from '../../src/session/sessions';
import { findMapping, type ServiceSyncHandle, startServiceSync } from '../../src/sync/service-sync';
import { kubeconfigPath, MemoryLogger } from './cluster';
import { contexts } from './kubectl';
import { type PhaseSummary, startLoad } from './load';
import { REPO } from './sandbox';
import { eventually, getFromPod } from './session';

export interface SavesOptions {
  namespace: string;
  /** A node pod in the namespace (startClientPod). */
  client: string;
  saves: number;
  /** Routed requests per second. */
  rate: number;
  /** How long the same load runs before the first save: the baseline. */
  baselineSeconds: number;
  session: string;
  signal: AbortSignal;
}

export interface SavesResult {
  strategy: string;
  /** In-cluster routed requests through the Service: before the saves (baseline) and across them. */
  cluster: { baseline: PhaseSummary; saves: PhaseSummary };
  /** Through Open Routed URL (the local proxy) and Try a request, across the same saves. */
  local: { proxy: LocalSummary; tryRequest: LocalSummary; proxyBaseline: LocalSummary };
  /** Saves that were answered through the route with their new code. */
  savesSeen: number;
}

export interface LocalSummary {
  sent: number;
  failed: number;
  errors: string[];
  latencies: number[];
}

const file = 'ratings/server.js';

/** Starts the session with sync, runs the load and the saves, stops the session. */
export async function savesUnderLoad(o: SavesOptions): Promise<SavesResult> {
  const workspace = mkdtempSync(join(tmpdir(), 'devlane-ws-'));
  cpSync(join(REPO, 'sandbox/demo/src'), workspace, { recursive: true });
  const clusters = new KubeClusters(
    { setting: () => kubeconfigPath, env: {} },
    { logger: new MemoryLogger(), idleMs: 0 },
  );
  const conn = clusters.connection(contexts.alice);
  const logger = new MemoryLogger();
  const sessions = new Sessions({
    api: conn.objects,
    context: contexts.alice,
    namespace: o.namespace,
    participant: conn.context.user,
    logger,
  });
  const mapping = await findMapping(workspace, 'ratings');
  const started = await sessions.start({ service: 'ratings', session: o.session, sync: mapping }, o.signal);
  let sync: ServiceSyncHandle | undefined;
  let proxy: RoutedProxy | undefined;
  try {
    const key = { 'x-devlane-route': started.routeKey };
    const stars = () => {
      const r = getFromPod(o.namespace, o.client, 'http://ratings/ratings/p-1', key);
      return r.status === 200 ? String(r.body.stars) : `status ${r.status}`;
    };
    await eventually('the routed answer from the copy', () => stars() === '4.5', 60_000);
    const saves = new Emitter<string>();
    sync = await startServiceSync(
      {
        api: conn.objects,
        namespace: o.namespace,
        session: o.session,
        service: 'ratings',
        workspaceFolder: workspace,
        logger,
        onDidSave: saves.event,
      },
      o.signal,
    );
    const devService = started.devService;
    proxy = await RoutedProxy.start({
      cluster: conn,
      namespace: o.namespace,
      service: 'ratings',
      routeKey: started.routeKey,
      devService: (s) => (s === 'ratings' ? devService : undefined),
      logger,
    });

    const load = startLoad(o.namespace, o.client, {
      url: 'http://ratings/ratings/p-1',
      rate: o.rate,
      maxSeconds: 900,
      headers: key,
      phase: 'baseline',
    });
    const localBaseline = localLoad(proxy.url, conn, o.namespace, started.routeKey, devService);
    await new Promise((r) => setTimeout(r, o.baselineSeconds * 1000));
    const proxyBaseline = (await localBaseline.stop()).proxy;
    load.phase('saves');
    const local = localLoad(proxy.url, conn, o.namespace, started.routeKey, devService);
    const path = join(workspace, file);
    const original = readFileSync(path, 'utf8');
    let seen = 0;
    for (let i = 1; i <= o.saves; i++) {
      writeFileSync(path, original.replace("'p-1': 4.5", `'p-1': ${10 + i}`));
      saves.fire(path);
      await eventually(`save ${i} to be answered through the route`, () => stars() === String(10 + i), 60_000);
      seen++;
    }
    const localDone = await local.stop();
    load.phase('after');
    const summary = await load.stop();
    return {
      strategy: started.strategy,
      cluster: { baseline: summary.baseline, saves: summary.saves },
      local: { proxy: localDone.proxy, tryRequest: localDone.tryRequest, proxyBaseline },
      savesSeen: seen,
    };
  } finally {
    proxy?.dispose();
    sync?.dispose();
    started.heartbeat.dispose();
    await sessions.stop(o.session, AbortSignal.timeout(120_000));
    clusters.dispose();
    rmSync(workspace, { recursive: true, force: true });
  }
}

/**
 * Routed GETs from this process through Open Routed URL, one after another on fresh connections,
 * and Try a request alongside (each Try opens its own forward, as the panel does).
 */
function localLoad(
  url: string,
  cluster: Parameters<typeof sendTry>[0]['cluster'],
  namespace: string,
  routeKey: string,
  devService: string,
) {
  let stopping = false;
  const proxy: LocalSummary = { sent: 0, failed: 0, errors: [], latencies: [] };
  const tryRequest: LocalSummary = { sent: 0, failed: 0, errors: [], latencies: [] };
  const record = (s: LocalSummary, t0: number, error?: string) => {
    s.sent++;
    if (error) {
      s.failed++;
      if (s.errors.length < 10) s.errors.push(error);
    } else s.latencies.push(performance.now() - t0);
  };
  const viaProxy = async () => {
    while (!stopping) {
      const t0 = performance.now();
      const error = await new Promise<string | undefined>((resolve) => {
        http
          .get(`${url}ratings/p-1`, { agent: false, timeout: 30_000 }, (res) => {
            let body = '';
            res.on('data', (d) => (body += d));
            res.on('end', () =>
              resolve(res.statusCode === 200 ? undefined : `HTTP ${res.statusCode}: ${body.slice(0, 200)}`),
            );
            res.on('error', (e) => resolve(e.message));
          })
          .on('error', (e) => resolve(e.message));
      });
      record(proxy, t0, error);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const viaTry = async () => {
    while (!stopping) {
      const t0 = performance.now();
      const r = await sendTry({
        cluster,
        namespace,
        routeKey,
        devService,
        request: { method: 'GET', path: '/ratings/p-1', headers: '', body: '', target: 'ratings', routed: true },
      });
      record(
        tryRequest,
        t0,
        !r.ok ? r.error : r.status !== 200 ? `HTTP ${r.status}: ${r.body.slice(0, 200)}` : undefined,
      );
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const running = Promise.all([viaProxy(), viaTry()]);
  return {
    async stop(): Promise<{ proxy: LocalSummary; tryRequest: LocalSummary }> {
      stopping = true;
      await running;
      return { proxy, tryRequest };
    },
  };
}
