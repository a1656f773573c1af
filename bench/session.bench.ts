// bench: needs-cluster
// Routed sessions: how long a start takes, phase by phase, with Istio routing and with the Devlane
// router; and what the router costs a request: latency at a fixed rate and throughput with a fixed
// number of clients, through the router (the original Service, now pointing at it) side by side
// with a direct connection to the same pods (the `<svc>-devlane-origin` Service), measured from a
// pod in the same namespace. Figures only; nothing here passes or fails on time.
import './target';
import { setMaxListeners } from 'node:events';
import { apiTypes } from '../src/core/api-types';
import type { Json, Workload } from '../src/core/resources';
import { originServiceName } from '../src/core/session/names';
import { stageTimes } from '../src/core/session/start-stages';
import { contexts } from '../test/helpers/kubectl';
import { describeLoad, type PhaseSummary, startLoad } from '../test/helpers/load';
import { startClientPod } from '../test/helpers/session';
import { createShop, type Shop } from '../test/helpers/shop';
import { type Figure, percentile, report } from './lib';
import { sessionsIn } from './sessions';

// Nine: the median of a 2-core machine's start times moves by a few hundred ms between runs of five.
const starts = 9;
const rate = 100;
const seconds = 10;
const clients = 8;
const figures: Figure[] = [];
const baselineName = "a new pod of the original's template, created → Ready (p50)";
let baseline: number | undefined;
const fig = (metric: string, value: number, unit = 'ms', baseline?: string, baseline_value?: number) =>
  figures.push({ bench: 'session', metric, value, unit, ...(baseline ? { baseline, baseline_value } : {}) });

const signal = () => {
  const s = AbortSignal.timeout(300_000);
  setMaxListeners(200, s);
  return s;
};

/** Start → stop `starts` times on ratings; the median of each phase. */
async function startPhases(shop: Shop, strategy: string): Promise<void> {
  const { clusters, sessions } = sessionsIn(shop.namespace);
  const phases: Record<string, number[]> = {};
  const stages = { copy: [] as number[], route: [] as number[] };
  const totals: number[] = [];
  try {
    for (let i = 0; i < starts; i++) {
      const t = performance.now();
      const r = await sessions.start({ service: 'ratings', session: `bench-${i}` }, signal());
      totals.push(performance.now() - t);
      r.heartbeat.dispose();
      for (const [p, ms] of Object.entries(r.phases)) (phases[p] ??= []).push(ms);
      const took = stageTimes(r.phases);
      if (took) for (const stage of ['copy', 'route'] as const) stages[stage].push(took.ms[stage]);
      await sessions.stop(r.session, signal());
    }
  } finally {
    clusters.dispose();
  }
  const med = (p: string) => percentile(phases[p] ?? [], 50);
  fig(`${strategy} start: preflight p50`, med('preflight'));
  fig(`${strategy} start: plan + dry-run p50`, med('plan') + med('dryRun'));
  fig(`${strategy} start: apply (record + lease) p50`, med('record'));
  // The copy and the route as the start reports them (the router sets up its route while the copy starts).
  fig(`${strategy} start: copy (created → Ready) p50`, percentile(stages.copy, 50));
  fig(`${strategy} start: route (set up → live) p50`, percentile(stages.route, 50));
  fig(`${strategy} start: total p50`, percentile(totals, 50), 'ms', baselineName, baseline);
  fig(`${strategy} start: total p90`, percentile(totals, 90));
}

async function measure(namespace: string, pod: string, url: string, concurrency?: number): Promise<PhaseSummary> {
  const load = startLoad(namespace, pod, { url, rate, maxSeconds: seconds, concurrency });
  await new Promise((r) => setTimeout(r, seconds * 1000 + 500));
  const s = await load.stop();
  const m = s.before;
  if (m.failed) console.error(`${url}: ${m.failed} failed: ${JSON.stringify(m.errors)}`);
  return m;
}

/** web's /healthz (no calls behind it), through the router and directly, alternating, in one run. */
async function routerCost(shop: Shop): Promise<void> {
  const { clusters, sessions } = sessionsIn(shop.namespace);
  try {
    const r = await sessions.start({ service: 'web', session: 'bench-cost' }, signal());
    r.heartbeat.dispose();
    const client = await startClientPod(shop.namespace, 'bench-client');
    const viaRouter = 'http://web/healthz';
    const direct = `http://${originServiceName('web')}/healthz`;
    await measure(shop.namespace, client, viaRouter); // warm-up: connections, nginx workers
    const routed: PhaseSummary[] = [];
    const straight: PhaseSummary[] = [];
    for (let round = 0; round < 2; round++) {
      straight.push(await measure(shop.namespace, client, direct));
      routed.push(await measure(shop.namespace, client, viaRouter));
    }
    for (const s of [...straight, ...routed])
      console.error(describeLoad(straight.includes(s) ? 'direct' : 'router', s));
    // Two rounds each, alternating, so that a slow moment of the machine hits both sides alike.
    const mean = (xs: PhaseSummary[], k: 'p50' | 'p99') => xs.reduce((a, x) => a + x[k], 0) / xs.length;
    fig(`router: latency p50 at ${rate} req/s`, mean(routed, 'p50'), 'ms', 'direct to the pods', mean(straight, 'p50'));
    fig(`router: latency p99 at ${rate} req/s`, mean(routed, 'p99'), 'ms', 'direct to the pods', mean(straight, 'p99'));
    fig(`router: added latency p50 at ${rate} req/s`, mean(routed, 'p50') - mean(straight, 'p50'));
    fig(`router: added latency p99 at ${rate} req/s`, mean(routed, 'p99') - mean(straight, 'p99'));
    const tDirect = await measure(shop.namespace, client, direct, clients);
    const tRouted = await measure(shop.namespace, client, viaRouter, clients);
    console.error(describeLoad(`direct, ${clients} clients`, tDirect));
    console.error(describeLoad(`router, ${clients} clients`, tRouted));
    fig(
      `router: throughput with ${clients} clients`,
      tRouted.throughput,
      'req/s',
      'direct to the pods',
      tDirect.throughput,
    );
    fig(`router: latency p50 with ${clients} clients`, tRouted.p50, 'ms', 'direct to the pods', tDirect.p50);
    await sessions.stop(r.session, signal());
  } finally {
    clusters.dispose();
  }
}

/**
 * The baseline for a start: the same pod template as the original ratings, created as a Deployment of
 * its own (labels changed so no Service selects it) and timed from the create to a Ready replica: how
 * long this cluster takes to start the app at all, with the original's own readiness probe.
 */
async function podBaseline(shop: Shop): Promise<number[]> {
  const { clusters } = sessionsIn(shop.namespace);
  const api = clusters.connection(contexts.alice).objects;
  const times: number[] = [];
  try {
    const original = await api.get<Workload>(apiTypes.deployment, shop.namespace, 'ratings', signal());
    for (let i = 0; i < starts; i++) {
      const name = `ratings-baseline-${i}`;
      const labels = { app: name };
      const spec = structuredClone(original.spec!) as Json;
      spec.replicas = 1;
      spec.selector = { matchLabels: labels };
      spec.template.metadata = { labels };
      const t = performance.now();
      await api.create(
        apiTypes.deployment,
        { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: shop.namespace }, spec },
        { signal: signal() },
      );
      for (;;) {
        const d = await api.get<Workload>(apiTypes.deployment, shop.namespace, name, signal());
        if ((d.status?.readyReplicas ?? 0) >= 1) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      times.push(performance.now() - t);
      await api.delete(apiTypes.deployment, shop.namespace, name, {
        signal: signal(),
        propagationPolicy: 'Background',
      });
    }
  } finally {
    clusters.dispose();
  }
  return times;
}

async function main(): Promise<void> {
  const plain = await createShop('bench-plain', { istio: false });
  const mesh = await createShop('bench-mesh', { istio: true });
  try {
    baseline = percentile(await podBaseline(plain), 50);
    await startPhases(mesh, 'istio');
    await startPhases(plain, 'router');
    await routerCost(plain);
  } finally {
    plain.cleanup();
    mesh.cleanup();
  }
  report(figures);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
