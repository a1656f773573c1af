// Explorer benchmark: prints figures, asserts nothing. `npm run bench -- explorer`, or
// `node out/bench/explorer.bench.js` after a build. One JSON line per figure, then a table:
//   {"bench":"explorer","metric":...,"value":N,"unit":...[,"baseline":...,"baseline_value":N,"ratio":N]}
// Measured: activation (the entry bundle's size and load time, require + activate(), and the
// core's start on first use, each beside the whole extension started at once: bench/activation.ts),
// the VSIX size, and the explorer model fed by the real Informer with 2,000 services and 10,000
// pods: time from a watch event to the model's change event, time to render rows, and heap used.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type {
  ChangeBatch,
  ClusterConnection,
  InformerLease,
  LogRequest,
  PortForwardHandle,
  UserIdentity,
} from '../src/cluster/api';
import { Informer, type ListResult, type ListWatch, type WatchHandlers } from '../src/cluster/informer';
import { InformerPool } from '../src/cluster/informer-pool';
import { nullLogger } from '../src/core/logger';
import type { KindTypes, KubeObject, Pod, ResourceKind } from '../src/core/resources';
import { ExplorerModel } from '../src/explorer/model';
import { ForwardRegistry } from '../src/explorer/forwards';
import type { ExplorerNode } from '../src/explorer/nodes';
import { contextSummary, FakeClusters, unusedObjectApi } from '../test/fakes/cluster';
import { namespace, pod, service } from '../test/fakes/objects';
import { activationFigures } from './activation';
import { type Figure, report as print } from './lib';

const SERVICES = 2000;
const PODS = 10_000;
const root = resolve(__dirname, '../..');

const figures: Figure[] = [];
function report(metric: string, value: number, unit: string): void {
  figures.push({ bench: 'explorer', metric, value, unit });
}

function sizes(): void {
  figures.push(...activationFigures(root));
  const vsix = join(root, 'devlane.vsix');
  if (existsSync(vsix)) report('vsix_size', statSync(vsix).size, 'bytes');
}

/** An informer transport that lists generated objects and lets the bench push watch events. */
class GeneratedListWatch implements ListWatch<KubeObject> {
  readonly description = 'generated';
  handlers: WatchHandlers<KubeObject> | undefined;
  constructor(private readonly items: KubeObject[]) {}
  async list(): Promise<ListResult<KubeObject>> {
    return { items: this.items, resourceVersion: '1' };
  }
  watch(_rv: string, _t: number, handlers: WatchHandlers<KubeObject>, signal: AbortSignal): Promise<void> {
    this.handlers = handlers;
    handlers.onOpen();
    return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
  }
}

class GeneratedConnection implements ClusterConnection {
  readonly context = contextSummary('bench', 'shop');
  readonly objects = unusedObjectApi;
  readonly sources = new Map<string, GeneratedListWatch>();
  private readonly pool: InformerPool;
  constructor(data: Record<string, KubeObject[]>) {
    this.pool = new InformerPool((key) => {
      const lw = new GeneratedListWatch(data[key] ?? []);
      this.sources.set(key, lw);
      return new Informer(lw, {
        logger: nullLogger,
        batchMs: 0,
        timeoutSeconds: () => 3600,
        watchdogMs: () => 7_200_000,
      });
    }, 60_000);
  }
  watch<K extends ResourceKind>(kind: K, ns?: string): InformerLease<KindTypes[K]> {
    return this.pool.lease(`${kind}/${ns ?? ''}`);
  }
  getObject(): Promise<KubeObject> {
    return Promise.reject(new Error('not in the bench'));
  }
  followLog(_r: LogRequest): Promise<void> {
    return Promise.reject(new Error('not in the bench'));
  }
  portForward(): Promise<PortForwardHandle> {
    return Promise.reject(new Error('not in the bench'));
  }
  whoAmI(): Promise<UserIdentity> {
    return Promise.resolve({ username: 'bench', groups: [], source: 'server' });
  }
  dispose(): void {
    this.pool.dispose();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const heap = () => {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
};
const timed = (n: number, fn: () => void) =>
  Array.from({ length: n }, () => {
    const t = performance.now();
    fn();
    return performance.now() - t;
  });
const settle = () => new Promise((r) => setTimeout(r, 0));

async function model(): Promise<void> {
  const heapBefore = heap();
  const services = Array.from({ length: SERVICES }, (_, i) => service(`svc-${i}`, { app: `app-${i}` }));
  const pods = Array.from({ length: PODS }, (_, i) => pod(`pod-${i}`, { labels: { app: `app-${i % SERVICES}` } }));
  const conn = new GeneratedConnection({
    'Namespace/': [namespace('shop')],
    'Service/shop': services,
    'Pod/shop': pods,
  });
  const clusters = FakeClusters.of([conn.context]);
  clusters.connection = () => conn as never;
  const forwards = new ForwardRegistry();
  const explorer = new ExplorerModel(
    clusters,
    { activeContext: () => 'bench', defaultNamespace: () => undefined, onDidChange: () => ({ dispose() {} }) },
    forwards,
  );

  const until = async (fn: () => boolean) => {
    while (!fn()) await settle();
  };
  const ctx = explorer.getChildren()[0];
  explorer.getChildren(ctx);
  await until(() => explorer.getChildren(ctx)[0]?.kind === 'namespace');
  const ns = explorer.getChildren(ctx)[0];
  explorer.getChildren(ns);
  await until(() => explorer.getChildren(ns).length === SERVICES);

  const rows = explorer.getChildren(ns);
  report('render_namespace_2000_services_median', median(timed(10, () => explorer.getChildren(ns))), 'ms');

  const opened = rows.slice(0, 50);
  for (const s of opened) explorer.getChildren(s);
  await until(() => opened.every((s) => explorer.getChildren(s).some((n) => n.kind === 'pod')));
  report(
    'render_50_services_with_10000_pods_median',
    median(timed(10, () => opened.forEach((s) => explorer.getChildren(s)))),
    'ms',
  );
  report('heap_used_2000_services_10000_pods', (heap() - heapBefore) / (1024 * 1024), 'MiB');

  // Watch event -> model change event, for pods of an expanded service.
  const podSource = conn.sources.get('Pod/shop')!;
  const latencies: number[] = [];
  let fired: ExplorerNode[] | undefined;
  explorer.onDidChange((e) => (fired = e));
  for (let i = 0; i < 300; i++) {
    const target = opened[i % opened.length];
    const index = Number(/svc-(\d+)/.exec(target.label)![1]);
    const updated: Pod = pod(`pod-${index}`, { labels: { app: `app-${index}` }, statuses: [{ restartCount: i + 1 }] });
    fired = undefined;
    const start = performance.now();
    podSource.handlers!.onEvent('MODIFIED', updated);
    await until(() => fired !== undefined);
    latencies.push(performance.now() - start);
  }
  report('watch_event_to_model_change_p50', percentile(latencies, 0.5), 'ms');
  report('watch_event_to_model_change_p95', percentile(latencies, 0.95), 'ms');

  // A burst: every pod changes at once (a relist after 410 looks like this).
  fired = undefined;
  const batches: ChangeBatch<KubeObject>[] = [];
  const sub = conn.watch('Pod', 'shop');
  sub.onDidChange((b) => batches.push(b));
  const t = performance.now();
  for (let i = 0; i < PODS; i++)
    podSource.handlers!.onEvent(
      'MODIFIED',
      pod(`pod-${i}`, { labels: { app: `app-${i % SERVICES}` }, phase: 'Pending' }),
    );
  await until(() => fired !== undefined);
  report('burst_10000_pod_events_to_model_change', performance.now() - t, 'ms');
  report('burst_change_batches', batches.length, 'batches');

  sub.dispose();
  explorer.dispose();
  forwards.dispose();
  conn.dispose();
}

async function main(): Promise<void> {
  sizes();
  await model();
  print(figures);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
