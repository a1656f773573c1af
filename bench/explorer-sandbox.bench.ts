// bench: needs-cluster
// The explorer against a real API server (the sandbox, or DEVLANE_BENCH_KUBECONFIG): 2,000
// Services and 10,000 Pods in one namespace, read by the real src/cluster informers (HTTP list +
// watch, the extension's default batching) into the real ExplorerModel. Prints:
//   - time to the first full list: namespace expanded -> 2,000 service rows; 50 services expanded -> their pods
//   - watch event -> model change: a label change on one pod (it moves between two expanded
//     services), from sending the PATCH to the model's change event, p50/p99 over 200 changes;
//     the PATCH round trip alone is the baseline
//   - heap used by the model and its informers
// The pods are bound to a node that does not exist (spec.nodeName), so no node agent runs them:
// the bench measures the API and the explorer, not 10,000 processes.

import * as https from 'node:https';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClusters } from '../src/cluster/clusters';
import { nullLogger } from '../src/core/logger';
import { ExplorerModel } from '../src/explorer/model';
import { ForwardRegistry } from '../src/explorer/forwards';
import type { ExplorerNode } from '../src/explorer/nodes';
import { percentile, report, type Figure } from './lib';

const SERVICES = Number(process.env.BENCH_SERVICES ?? 2000);
const PODS = Number(process.env.BENCH_PODS ?? 10_000);
const CHANGES = 200;
const CONTEXT = process.env.DEVLANE_BENCH_CONTEXT ?? 'sandbox-admin';
const kubeconfig = process.env.DEVLANE_BENCH_KUBECONFIG!;
const ns = `bench-explorer-${randomBytes(3).toString('hex')}`;
const figures: Figure[] = [];
const fig = (metric: string, value: number, unit = 'ms', baseline?: string, baseline_value?: number) =>
  figures.push({ bench: 'explorer-sandbox', metric, value, unit, ...(baseline ? { baseline, baseline_value } : {}) });

// ---- a small HTTP client for setup and changes (keep-alive, JSON) ----

const kc = new KubeConfig();
kc.loadFromFile(kubeconfig);
kc.setCurrentContext(CONTEXT);
const cluster = kc.getCurrentCluster()!;
const user = kc.getCurrentUser()!;
const agent = new https.Agent({
  keepAlive: true,
  maxSockets: 16,
  ca: cluster.caData ? Buffer.from(cluster.caData, 'base64') : undefined,
  rejectUnauthorized: !cluster.skipTLSVerify,
});

function call(
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ status: number; text: string }> {
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      new URL(path, cluster.server),
      {
        method,
        agent,
        headers: {
          authorization: `Bearer ${user.token}`,
          accept: 'application/json',
          ...(data ? { 'content-type': contentType } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

async function mustCall(method: string, path: string, body?: unknown, contentType?: string): Promise<void> {
  const r = await call(method, path, body, contentType);
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.text.slice(0, 300)}`);
}

async function pool(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

async function populate(): Promise<void> {
  await mustCall('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  let t = performance.now();
  await pool(SERVICES, 16, (i) =>
    mustCall('POST', `/api/v1/namespaces/${ns}/services`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `svc-${i}` },
      spec: { selector: { app: `app-${i}` }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    }),
  );
  fig(`setup: create ${SERVICES} services`, performance.now() - t);
  t = performance.now();
  await pool(PODS, 16, (i) =>
    mustCall('POST', `/api/v1/namespaces/${ns}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `pod-${i}`, labels: { app: `app-${i % SERVICES}` } },
      spec: {
        nodeName: 'bench-absent-node',
        containers: [{ name: 'main', image: 'busybox:1.36', command: ['sleep', '3600'] }],
      },
    }),
  );
  fig(`setup: create ${PODS} pods`, performance.now() - t);
}

const settle = () => new Promise((r) => setTimeout(r, 1));
async function until(what: string, fn: () => boolean, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await settle();
  }
}
const heap = () => {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
};

async function explorer(): Promise<void> {
  const heapBefore = heap();
  const clusters = new KubeClusters({ setting: () => kubeconfig, env: {} }, { logger: nullLogger, idleMs: 0 });
  const forwards = new ForwardRegistry();
  const model = new ExplorerModel(
    clusters,
    { activeContext: () => CONTEXT, defaultNamespace: () => undefined, onDidChange: () => ({ dispose() {} }) },
    forwards,
  );
  let fired: ExplorerNode[] | undefined | null = null;
  model.onDidChange((e) => (fired = e));

  const children = (n?: ExplorerNode) => model.getChildren(n);
  const ctx = children().find((n) => n.kind === 'context' && n.label === CONTEXT);
  if (!ctx)
    throw new Error(
      `no context node ${CONTEXT}: ${children()
        .map((n) => n.label)
        .join(', ')}`,
    );
  let t = performance.now();
  children(ctx);
  let nsNode: ExplorerNode | undefined;
  await until(
    'the namespace row',
    () => (nsNode = children(ctx).find((n) => n.kind === 'namespace' && n.label === ns)) !== undefined,
  );
  fig('first list: namespaces', performance.now() - t);

  t = performance.now();
  children(nsNode);
  await until(
    `${SERVICES} service rows`,
    () => children(nsNode).filter((n) => n.kind === 'service').length === SERVICES,
  );
  fig(`first list: ${SERVICES} services to namespace rows`, performance.now() - t);

  const services = children(nsNode).filter((n) => n.kind === 'service');
  const byName = new Map(services.map((s) => [s.label, s]));
  const opened = Array.from({ length: Math.min(50, SERVICES) }, (_, i) => byName.get(`svc-${i}`)!);
  t = performance.now();
  for (const s of opened) children(s);
  await until('the pods of 50 services', () => opened.every((s) => children(s).some((n) => n.kind === 'pod')));
  fig(`first list: ${PODS} pods to ${opened.length} service rows`, performance.now() - t);
  fig(`heap used: model + informers, ${SERVICES} services, ${PODS} pods`, (heap() - heapBefore) / (1024 * 1024), 'MiB');

  // Watch event -> model change: pod-0 moves between svc-0 and svc-1 (both expanded) by its label.
  const podsOf = (s: ExplorerNode) =>
    children(s)
      .filter((n) => n.kind === 'pod')
      .map((n) => n.label);
  const latencies: number[] = [];
  const roundTrips: number[] = [];
  for (let i = 0; i < CHANGES; i++) {
    const to = i % 2 === 0 ? 1 : 0;
    fired = null;
    const start = performance.now();
    await mustCall(
      'PATCH',
      `/api/v1/namespaces/${ns}/pods/pod-0`,
      { metadata: { labels: { app: `app-${to}` } } },
      'application/merge-patch+json',
    );
    roundTrips.push(performance.now() - start);
    await until(
      'the model change',
      () => fired !== null && podsOf(opened[to]).some((p) => p.startsWith('pod-0')),
      30_000,
    );
    latencies.push(performance.now() - start);
  }
  fig(
    'watch: label change to model change p50',
    percentile(latencies, 50),
    'ms',
    'PATCH round trip p50',
    percentile(roundTrips, 50),
  );
  fig(
    'watch: label change to model change p99',
    percentile(latencies, 99),
    'ms',
    'PATCH round trip p99',
    percentile(roundTrips, 99),
  );

  model.dispose();
  forwards.dispose();
  clusters.dispose();
}

async function main(): Promise<void> {
  try {
    await populate();
    await explorer();
    fig('heap used: process total after the run', process.memoryUsage().heapUsed / (1024 * 1024), 'MiB');
  } finally {
    // Pods on an absent node are never confirmed gone by a kubelet: delete them at once, then the namespace.
    await call('DELETE', `/api/v1/namespaces/${ns}/pods?gracePeriodSeconds=0`).catch(() => undefined);
    await call('DELETE', `/api/v1/namespaces/${ns}`).catch(() => undefined);
    agent.destroy();
  }
  report(figures);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
