// bench: needs-cluster
// The sandbox's own costs: API latency (get, list, watch event delivery) and what a Service adds
// to a request, measured side by side against a direct loopback connection in the same pod.

import * as k8s from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { percentile, report, timeEach, type Figure } from './lib';

const kc = new k8s.KubeConfig();
kc.loadFromFile(process.env.DEVLANE_BENCH_KUBECONFIG!);
kc.setCurrentContext('sandbox-admin');
const core = kc.makeApiClient(k8s.CoreV1Api);
const ns = `bench-${randomBytes(3).toString('hex')}`;
const figures: Figure[] = [];
const fig = (metric: string, value: number, unit = 'ms', baseline?: string, baseline_value?: number) =>
  figures.push({ bench: 'sandbox', metric, value, unit, ...(baseline ? { baseline, baseline_value } : {}) });

async function apiLatency(): Promise<void> {
  await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'probe' }, data: { a: '1' } } });
  const gets = await timeEach(300, () => core.readNamespacedConfigMap({ namespace: ns, name: 'probe' }));
  fig('get p50', percentile(gets, 50));
  fig('get p99', percentile(gets, 99));
  const creates = await timeEach(500, (i) =>
    core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: `cm-${i}` }, data: { i: String(i) } } }),
  );
  fig('create p50', percentile(creates, 50));
  const lists = await timeEach(20, () => core.listNamespacedConfigMap({ namespace: ns }));
  fig('list 500 configmaps p50', percentile(lists, 50));
}

async function watchDelivery(): Promise<void> {
  const waiting = new Map<string, (t: bigint) => void>();
  const watch = new k8s.Watch(kc);
  const req = await watch.watch(
    `/api/v1/namespaces/${ns}/configmaps`,
    { resourceVersion: (await core.listNamespacedConfigMap({ namespace: ns, limit: 1 })).metadata!.resourceVersion },
    (type, obj: k8s.V1ConfigMap) => {
      if (type === 'ADDED') waiting.get(obj.metadata!.name!)?.(process.hrtime.bigint());
    },
    () => {},
  );
  const samples: number[] = [];
  for (let i = 0; i < 200; i++) {
    const name = `w-${i}`;
    const seen = new Promise<bigint>((r) => waiting.set(name, r));
    const t0 = process.hrtime.bigint();
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name } } });
    samples.push(Number((await seen) - t0) / 1e6);
  }
  req.abort();
  fig('watch event delivery p50 (create sent -> event received)', percentile(samples, 50));
  fig('watch event delivery p99', percentile(samples, 99));
}

/** Runs a Node script in the pod and returns its stdout. */
async function execNode(pod: string, script: string): Promise<string> {
  const exec = new k8s.Exec(kc);
  let out = '';
  let err = '';
  const stdout = new PassThrough().on('data', (d) => (out += d));
  const stderr = new PassThrough().on('data', (d) => (err += d));
  await new Promise<void>((resolve, reject) => {
    exec
      .exec(ns, pod, 'main', ['node', '-e', script], stdout, stderr, null, false, (s) =>
        s.status === 'Success' ? resolve() : reject(new Error(`${s.message}: ${err}`)),
      )
      .catch(reject);
  });
  return out;
}

const REQUESTS = 400;
const CLIENT = `
const http = require('http');
const one = (url) => new Promise((ok, fail) => { const t = process.hrtime.bigint();
  http.get(url, { agent: false }, (r) => { r.resume(); r.on('end', () => ok(Number(process.hrtime.bigint() - t) / 1e6)); }).on('error', fail); });
(async () => { const out = { direct: [], service: [] };
  for (let i = 0; i < ${REQUESTS}; i++) { out.direct.push(await one('http://127.0.0.1:8080/')); out.service.push(await one('http://echo/')); }
  console.log(JSON.stringify(out)); })();`;

async function serviceOverhead(): Promise<void> {
  await core.createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name: 'echo', labels: { app: 'echo' } },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'main',
            image: 'node:22-slim',
            command: ['node', '-e', "require('http').createServer((q,s)=>s.end('ok')).listen(8080)"],
            ports: [{ containerPort: 8080 }],
            readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
          },
        ],
      },
    },
  });
  await core.createNamespacedService({
    namespace: ns,
    body: { metadata: { name: 'echo' }, spec: { selector: { app: 'echo' }, ports: [{ port: 80, targetPort: 8080 }] } },
  });
  for (let i = 0; ; i++) {
    const p = await core.readNamespacedPod({ namespace: ns, name: 'echo' });
    if (p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) break;
    if (i > 600) throw new Error('echo pod not Ready after 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  const { direct, service } = JSON.parse(await execNode('echo', CLIENT)) as { direct: number[]; service: number[] };
  fig(
    'request through a Service p50 (new connection)',
    percentile(service, 50),
    'ms',
    'direct loopback in the same pod',
    percentile(direct, 50),
  );
  fig(
    'request through a Service p99 (new connection)',
    percentile(service, 99),
    'ms',
    'direct loopback in the same pod',
    percentile(direct, 99),
  );
}

async function main(): Promise<void> {
  await core.createNamespace({ body: { metadata: { name: ns } } });
  try {
    await apiLatency();
    await watchDelivery();
    await serviceOverhead();
  } finally {
    await core.deleteNamespace({ name: ns }).catch(() => {});
  }
  report(figures);
}

main().catch((err) => {
  console.error(`bench sandbox failed: ${err.stack ?? err}`);
  process.exit(1);
});
