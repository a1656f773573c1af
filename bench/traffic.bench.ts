// bench: needs-cluster
// Production traffic while sessions come and go: 50 start/stop cycles of a session on web, in a
// plain namespace (the Devlane router goes in front of web and out again every cycle), with
// un-keyed traffic on keep-alive connections and on fresh connections through the original web
// Service. Prints the failed requests (the figure that must be 0), the cycle time, and latency
// before and during the churn. The traffic test runs fewer cycles of the same code on every run.
import { benchCluster } from './target';
import { describeLoad } from '../test/helpers/load';
import { startClientPod } from '../test/helpers/session';
import { createShop } from '../test/helpers/shop';
import { churn, describeFailures } from '../test/helpers/traffic';
import { type Figure, report } from './lib';

const cycles = Number(process.env.DEVLANE_BENCH_CYCLES ?? 50);
const rate = 25;

const figures: Figure[] = [];
const fig = (metric: string, value: number, unit: string, baseline?: string, baseline_value?: number) =>
  figures.push({
    bench: 'traffic',
    metric: `${metric} (${benchCluster})`,
    value,
    unit,
    ...(baseline ? { baseline, baseline_value } : {}),
  });

async function main(): Promise<void> {
  const shop = await createShop('bench-traffic', { istio: false });
  try {
    const client = await startClientPod(shop.namespace);
    const t0 = performance.now();
    const r = await churn({ namespace: shop.namespace, client, cycles, rate, checkRouteEvery: 10 });
    const cycleMs = (performance.now() - t0 - 8_000) / cycles;
    if (r.failure) throw r.failure;
    for (const [load, s] of Object.entries(r.loads)) {
      fig(`failed un-keyed requests, ${load}, over ${cycles} cycles`, s.during.failed + s.after.failed, 'requests');
      fig(`un-keyed requests answered, ${load}`, s.during.ok, 'requests');
      fig(`latency p50 during the churn, ${load}`, s.during.p50, 'ms', 'before', s.before.p50);
      fig(`latency p99 during the churn, ${load}`, s.during.p99, 'ms', 'before', s.before.p99);
      for (const phase of ['before', 'during', 'after']) console.error(describeLoad(`${load}, ${phase}`, s[phase]));
    }
    fig('start and stop, one cycle', cycleMs, 'ms');
    const failures = describeFailures(r);
    if (failures) console.error(failures);
  } finally {
    shop.cleanup();
  }
  report(figures);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
