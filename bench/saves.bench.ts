// bench: needs-cluster
// Saves under steady routed load: a routed session on ratings with hot sync, routed GETs at a
// steady rate from a client pod through the Service, and 20 saves, each of which restarts the
// copy's program (0.1-0.2 s with nothing listening). A routed request that arrives meanwhile
// waits for the new process (Devlane's router holds it; an Istio route retries the refused
// connection; Open Routed URL and Try a request retry through the port-forward). Prints the failed
// routed requests (the figure that must be 0) and the routed latency p99 across the saves, against
// the same load without saves, measured first in the same run: the difference is what the waits
// added. The router runs on every cluster; Istio where the mesh is (the sandbox's emulation).
import { benchCluster } from './target';
import { describeLoad } from '../test/helpers/load';
import { percentile, type Figure, report, runBench } from './lib';
import { savesUnderLoad } from '../test/helpers/saves';
import { startClientPod } from '../test/helpers/session';
import { createShop } from '../test/helpers/shop';
import { isSandbox } from '../test/helpers/kubectl';

const saves = Number(process.env.DEVLANE_BENCH_SAVES ?? 20);
const rate = 25;
const baselineSeconds = 10;

const figures: Figure[] = [];
const fig = (metric: string, value: number, unit: string, baseline?: string, baseline_value?: number) =>
  figures.push({
    bench: 'saves',
    metric: `${metric} (${benchCluster})`,
    value,
    unit,
    ...(baseline ? { baseline, baseline_value } : {}),
  });

async function main(): Promise<void> {
  for (const istio of isSandbox() ? [false, true] : [false]) {
    const shop = await createShop(istio ? 'bench-saves-i' : 'bench-saves', { istio });
    try {
      const client = await startClientPod(shop.namespace);
      const r = await savesUnderLoad({
        namespace: shop.namespace,
        client,
        saves,
        rate,
        baselineSeconds,
        session: 'bench',
        signal: AbortSignal.timeout(900_000),
      });
      const via = r.strategy === 'istio' ? 'Istio route' : 'Devlane router';
      const without = 'same load, no saves';
      const b = r.cluster.baseline;
      const s = r.cluster.saves;
      fig(`failed routed requests across ${saves} saves, ${via}`, s.failed, 'requests', without, b.failed);
      fig(`routed requests answered across the saves, ${via}`, s.ok, 'requests');
      fig(`routed latency p99 across the saves, ${via}`, s.p99, 'ms', without, b.p99);
      fig(`added routed latency p99 (across the saves minus without), ${via}`, Math.max(0, s.p99 - b.p99), 'ms');
      fig(`routed latency max across the saves, ${via}`, s.max, 'ms', without, b.max);
      const p = r.local.proxy;
      const t = r.local.tryRequest;
      fig(
        `failed requests through Open Routed URL across the saves (${via} session)`,
        p.failed,
        'requests',
        without,
        r.local.proxyBaseline.failed,
      );
      fig(
        `Open Routed URL latency p99 across the saves (${via} session)`,
        percentile(p.latencies, 99),
        'ms',
        without,
        percentile(r.local.proxyBaseline.latencies, 99),
      );
      fig(`failed Try a request across the saves (${via} session)`, t.failed, 'requests');
      console.error(describeLoad(`${via}, without saves`, b));
      console.error(describeLoad(`${via}, across ${saves} saves`, s));
      if (s.failed || p.failed || t.failed)
        console.error(JSON.stringify({ cluster: s.firstFailures, proxy: p.errors, tryRequest: t.errors }));
    } finally {
      shop.cleanup();
    }
  }
  report(figures);
}

runBench(main);
