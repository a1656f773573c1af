// bench: needs-cluster
// Go services (the demo's stock, a binary on a scratch image in production), in a shop namespace of
// the benchmark's own, held by a session whose copy runs on golang:1.26 with a `build` mapping:
//   - save → new Go code answering through the route (the copy's incremental build and restart),
//     beside the baseline measured in the same run: the same change shipped as production ships it
//     (go build on this machine, a new image holding the binary, the Deployment set to its tag,
//     a request answering with the new code);
//   - Debug → attached: DAP to Delve through the tunnel and DelveRelay (as the editor's adapter),
//     from the tunnel opening to configurationDone answered with the breakpoint verified;
//   - a routed request sent → Delve's `stopped` event, beside the same request answered with no
//     breakpoint (the kubectl exec it is sent from costs most of it).
// Figures only; nothing here passes or fails on time.
import { benchCluster, benchKubeconfig } from './target';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { KubeClusters } from '../src/cluster/clusters';
import { nullLogger } from '../src/core/logger';
import { Emitter } from '../src/core/events';
import { goImage } from '../src/core/sync/build';
import { openDebugTunnel } from '../src/debug/debug-copy';
import { RoutedProxy } from '../src/proxy/routed-proxy';
import { readMapping, startServiceSync } from '../src/sync/service-sync';
import {
  attachWithBreakpoint,
  debugFixture,
  type DebugFixture,
  getFromPodAsync,
  lineOf,
  longSignal,
  relayServer,
  within,
} from '../test/integration/debug/fixtures';
import { contexts } from '../test/helpers/kubectl';
import { REPO } from '../test/helpers/sandbox';
import { createShop } from '../test/helpers/shop';
import { type Figure, percentile, report, runBench, timeEach } from './lib';

const saves = 10;
const images = 3;
const runs = 8;
const figures: Figure[] = [];
const summarize = (name: string, samples: number[], baseline?: [string, number[]]) => {
  for (const p of [50, 99])
    figures.push({
      bench: 'go',
      metric: `${name} p${p}`,
      value: percentile(samples, p),
      unit: 'ms',
      ...(baseline ? { baseline: `${baseline[0]} p${p}`, baseline_value: percentile(baseline[1], p) } : {}),
    });
};

const clusters = new KubeClusters({ setting: () => benchKubeconfig, env: {} }, { logger: nullLogger, idleMs: 0 });
const admin = clusters.connection(contexts.admin);
const kubectl = (args: string[]) => {
  const r = spawnSync('kubectl', ['--kubeconfig', benchKubeconfig, '--context', contexts.admin, ...args], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

/** The units a routed GET /stock/p-1 through `proxy` reports (undefined while nothing answers it). */
async function units(proxy: RoutedProxy): Promise<number | undefined> {
  try {
    const r = await fetch(new URL('/stock/p-1', proxy.url));
    return r.ok ? ((await r.json()) as { units: number }).units : undefined;
  } catch {
    return undefined;
  }
}

async function answers(proxy: RoutedProxy, want: number, what: string): Promise<void> {
  const deadline = Date.now() + 300_000;
  while ((await units(proxy)) !== want) {
    if (Date.now() > deadline) throw new Error(`${what}: the answer did not show units ${want} within 300 s`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const withUnits = (source: string, n: number) => source.replace('"p-1": 12', `"p-1": ${n}`);

/** Save → new code answering through the session's route, with the copy's build (the first, cold one is not timed). */
async function saveToNewCode(fx: DebugFixture, workspace: string): Promise<number[]> {
  const fired = new Emitter<string>();
  const sync = await startServiceSync(
    {
      api: fx.conn.objects,
      namespace: fx.shop.namespace,
      session: fx.session,
      service: 'stock',
      workspaceFolder: workspace,
      logger: nullLogger,
      onDidSave: fired.event,
    },
    longSignal(1_800_000),
  );
  const proxy = await RoutedProxy.start({
    cluster: fx.conn,
    namespace: fx.shop.namespace,
    service: 'stock',
    routeKey: fx.routeKey,
    logger: nullLogger,
  });
  try {
    await answers(proxy, 12, 'the first build in the copy');
    const file = join(workspace, 'stock/main.go');
    const source = readFileSync(file, 'utf8');
    const times = await timeEach(saves, async (i) => {
      writeFileSync(file, withUnits(source, 100 + i));
      fired.fire(file);
      await answers(proxy, 100 + i, `save ${i + 1}`);
    });
    writeFileSync(file, source);
    fired.fire(file);
    await answers(proxy, 12, 'the source put back');
    return times;
  } finally {
    proxy.dispose();
    sync.dispose();
  }
}

/**
 * The baseline: the same change built and shipped as production ships stock. The binary is built
 * on this machine (CGO_ENABLED=0, as devlane-demo/stock:1 is) into a new image, the Deployment's
 * image is set to its tag, and the time ends when a request answers with the new code. How an
 * image reaches a cluster without a registry is each cluster's own: the sandbox serves each folder
 * of sandbox/images as the images named after it, so the image is such a folder (what
 * sandbox/images/stock is, with the binary in rootfs/); the real cluster imports OCI archives into
 * containerd (cluster/images.ts) from its start script, which a benchmark cannot do without
 * knowing its node, so there the baseline is not measured and is said so.
 */
async function imageRollout(): Promise<number[] | undefined> {
  if (benchCluster !== 'sandbox') {
    console.error(
      `go: the image rebuild-and-redeploy baseline is measured on the sandbox only (on ${benchCluster} an image reaches containerd by an import the cluster's start script does)`,
    );
    return undefined;
  }
  const shop = await createShop('bench-go-img', { istio: false });
  const src = mkdtempSync(join(tmpdir(), 'devlane-bench-go-src-'));
  cpSync(join(REPO, 'sandbox/demo/src/stock'), src, { recursive: true });
  const source = readFileSync(join(src, 'main.go'), 'utf8');
  const folders: string[] = [];
  const proxy = await RoutedProxy.start({
    cluster: admin,
    namespace: shop.namespace,
    service: 'stock',
    routeKey: 'bench-no-session',
    logger: nullLogger,
  });
  try {
    await answers(proxy, 12, 'the original stock');
    const base = JSON.parse(readFileSync(join(REPO, 'sandbox/images/stock/image.json'), 'utf8'));
    delete base.goBinaries;
    return await timeEach(images, async (i) => {
      const name = `bench-stock-${process.pid}-${i}`;
      const dir = join(REPO, 'sandbox/images', name);
      folders.push(dir);
      writeFileSync(join(src, 'main.go'), withUnits(source, 200 + i));
      const built = spawnSync('go', ['build', '-trimpath', '-o', join(dir, 'rootfs/stock'), '.'], {
        cwd: src,
        env: { ...process.env, CGO_ENABLED: '0' },
        encoding: 'utf8',
      });
      if (built.status !== 0) throw new Error(`go build: ${built.stderr}`);
      writeFileSync(join(dir, 'image.json'), JSON.stringify(base, null, 2));
      kubectl(['set', 'image', '-n', shop.namespace, 'deployment/stock', `stock=devlane-bench/${name}:1`]);
      await answers(proxy, 200 + i, `image ${name}`);
    });
  } finally {
    proxy.dispose();
    rmSync(src, { recursive: true, force: true });
    // The image folders go once no pod runs from them.
    spawnSync(
      'kubectl',
      [
        '--kubeconfig',
        benchKubeconfig,
        '--context',
        contexts.admin,
        'delete',
        'namespace',
        shop.namespace,
        '--timeout=120s',
      ],
      { stdio: 'ignore' },
    );
    for (const d of folders) rmSync(d, { recursive: true, force: true });
  }
}

/** Debug → attached, and a routed request → stopped, each run on a new tunnel and DAP client. */
async function debug(fx: DebugFixture, mainGo: string): Promise<{ attach: number[]; stop: number[]; plain: number[] }> {
  const line = lineOf(readFileSync(mainGo, 'utf8'), 'body := answeredBy()');
  const routed = () =>
    getFromPodAsync(fx.shop.namespace, fx.client, 'http://stock/stock/p-1', { 'x-devlane-route': fx.routeKey });
  const plain = await timeEach(runs, async () => {
    const r = await routed();
    if (r.status !== 200) throw new Error(`routed request: ${r.status} ${JSON.stringify(r.body)}`);
  });
  const attach: number[] = [];
  const stop: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const plan = await fx.prepare();
    const tunnel = await openDebugTunnel(fx.conn, plan, fx.logger);
    const relay = await relayServer(tunnel.port);
    const dc = new DebugClient('node', 'unused', 'go');
    try {
      await dc.start(relay.port);
      const bps = await attachWithBreakpoint(dc, plan, tunnel, mainGo, line);
      if (!bps.body.breakpoints[0]?.verified) throw new Error(`breakpoint not verified: ${JSON.stringify(bps.body)}`);
      attach.push(performance.now() - t0);
      const t1 = performance.now();
      const answer = routed();
      const stopped = (await within(dc.waitForEvent('stopped'), 60_000, 'the stopped event')) as {
        body: { threadId: number };
      };
      stop.push(performance.now() - t1);
      await dc.setBreakpointsRequest({ source: { path: mainGo }, breakpoints: [] });
      await dc.continueRequest({ threadId: stopped.body.threadId });
      await answer;
      await within(dc.disconnectRequest({}), 15_000, 'disconnect');
    } finally {
      await within(dc.stop(), 5_000, 'the client to stop').catch(() => undefined);
      relay.close();
      tunnel.dispose();
    }
  }
  return { attach, stop, plain };
}

async function main(): Promise<void> {
  const workspace = mkdtempSync(join(tmpdir(), 'devlane-bench-go-'));
  cpSync(join(REPO, 'sandbox/demo/src/stock'), join(workspace, 'stock'), { recursive: true });
  mkdirSync(join(workspace, '.vscode'));
  writeFileSync(
    join(workspace, '.vscode/devlane.json'),
    JSON.stringify({
      version: 1,
      services: { stock: { localPath: 'stock', remotePath: '/src', action: 'build', devImage: goImage() } },
    }),
  );
  let fx: DebugFixture | undefined;
  try {
    const mapping = await readMapping(workspace, 'stock');
    fx = await debugFixture('bench-go', 'stock', 'bench-go', { sync: mapping, workspaceFolder: workspace });
    const copy = await saveToNewCode(fx, workspace);
    const d = await debug(fx, join(workspace, 'stock/main.go'));
    const rollout = await imageRollout();
    summarize(
      `${benchCluster}: save to new Go code answering through the route (build in the copy)`,
      copy,
      rollout && ['go build, new image, set image, new answer', rollout],
    );
    summarize(`${benchCluster}: Debug to attached (Delve through the tunnel, breakpoint verified)`, d.attach);
    summarize(`${benchCluster}: routed request sent to stopped`, d.stop, [
      'routed request answered (no breakpoint)',
      d.plain,
    ]);
  } finally {
    await fx?.dispose();
    clusters.dispose();
    rmSync(workspace, { recursive: true, force: true });
  }
  report(figures);
}

runBench(main);
