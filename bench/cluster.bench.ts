// The real cluster (upstream Kubernetes, `npm run cluster`) beside the sandbox, measured in the
// same run: time from start to ready (builds excluded: both are built before the clock starts),
// pod creation to Ready, and API get / list / watch latency. Starts and stops both clusters
// itself (`--empty`), so no other real cluster may be running on the machine. Needs root.

import * as k8s from '@kubernetes/client-node';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { percentile, report, timeEach, type Figure } from './lib';

const REPO = resolve(__dirname, '..', '..');

interface Started {
  name: string;
  child: ChildProcess;
  dir: string;
  kubeconfig: string;
  readyMs: number;
}

async function start(name: 'sandbox' | 'cluster'): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), `devlane-bench-${name}-`));
  const log = join(dir, 'log');
  const fd = openSync(log, 'w');
  const t0 = process.hrtime.bigint();
  const child = spawn(
    process.execPath,
    [
      join(REPO, `out/${name}/main.js`),
      '--empty',
      '--kubeconfig',
      join(dir, 'kubeconfig'),
      '--state-dir',
      join(dir, 'state'),
    ],
    { stdio: ['ignore', fd, fd] },
  );
  await new Promise<void>((done, fail) => {
    const t = setInterval(() => readFileSync(log, 'utf8').includes(`${name} ready:`) && (clearInterval(t), done()), 50);
    child.once(
      'exit',
      (c) => (clearInterval(t), fail(new Error(`${name} exited (${c}):\n${readFileSync(log, 'utf8').slice(-3000)}`))),
    );
  });
  return { name, child, dir, kubeconfig: join(dir, 'kubeconfig'), readyMs: Number(process.hrtime.bigint() - t0) / 1e6 };
}

async function stop(s: Started): Promise<void> {
  if (s.child.exitCode === null) {
    const exited = new Promise((r) => s.child.once('exit', r));
    s.child.kill('SIGTERM');
    await exited;
  }
  rmSync(s.dir, { recursive: true, force: true });
}

interface Measured {
  readyMs: number;
  podReady: number[];
  gets: number[];
  lists: number[];
  watch: number[];
}

async function measure(s: Started): Promise<Measured> {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(s.kubeconfig);
  kc.setCurrentContext(s.name === 'sandbox' ? 'sandbox-admin' : 'kube-admin');
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const ns = 'bench';
  await core.createNamespace({ body: { metadata: { name: ns } } });
  // Pods can be created once the namespace's default ServiceAccount exists.
  for (let i = 0; i < 200; i++) {
    if (
      await core.readNamespacedServiceAccount({ namespace: ns, name: 'default' }).then(
        () => true,
        () => false,
      )
    )
      break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const podReady = await timeEach(10, async (i) => {
    const name = `p-${i}`;
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name },
        spec: {
          containers: [
            {
              name: 'main',
              image: 'node:22-slim',
              command: ['node', '-e', "require('http').createServer((q,s)=>s.end('ok')).listen(8080)"],
              readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 },
            },
          ],
        },
      },
    });
    for (;;) {
      const p = await core.readNamespacedPod({ namespace: ns, name });
      if (p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  });
  await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'probe' }, data: { a: '1' } } });
  const gets = await timeEach(300, () => core.readNamespacedConfigMap({ namespace: ns, name: 'probe' }));
  await timeEach(200, (i) =>
    core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: `cm-${i}` } } }),
  );
  const lists = await timeEach(20, () => core.listNamespacedConfigMap({ namespace: ns }));
  const waiting = new Map<string, (t: bigint) => void>();
  const req = await new k8s.Watch(kc).watch(
    `/api/v1/namespaces/${ns}/configmaps`,
    { resourceVersion: (await core.listNamespacedConfigMap({ namespace: ns, limit: 1 })).metadata!.resourceVersion },
    (type, obj: k8s.V1ConfigMap) => type === 'ADDED' && waiting.get(obj.metadata!.name!)?.(process.hrtime.bigint()),
    () => {},
  );
  const watch: number[] = [];
  for (let i = 0; i < 100; i++) {
    const seen = new Promise<bigint>((r) => waiting.set(`w-${i}`, r));
    const t0 = process.hrtime.bigint();
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: `w-${i}` } } });
    watch.push(Number((await seen) - t0) / 1e6);
  }
  req.abort();
  return { readyMs: s.readyMs, podReady, gets, lists, watch };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the real cluster needs root; nothing was measured');
  const built = spawnSync(process.execPath, [join(REPO, 'out/cluster/main.js'), '--build-only'], { stdio: 'inherit' });
  if (built.status !== 0) throw new Error('building the real cluster failed; nothing was measured');
  const results: Record<string, Measured> = {};
  for (const name of ['sandbox', 'cluster'] as const) {
    const s = await start(name);
    try {
      results[name] = await measure(s);
    } finally {
      await stop(s);
    }
  }
  const figures: Figure[] = [];
  const fig = (metric: string, pick: (m: Measured) => number, unit = 'ms') =>
    figures.push({
      bench: 'cluster',
      metric,
      value: pick(results.cluster),
      unit,
      baseline: 'sandbox',
      baseline_value: pick(results.sandbox),
    });
  fig('start to ready, empty (build excluded)', (m) => m.readyMs);
  fig('pod created -> Ready p50 (node:22-slim, readiness every 1 s)', (m) => percentile(m.podReady, 50));
  fig('get configmap p50', (m) => percentile(m.gets, 50));
  fig('get configmap p99', (m) => percentile(m.gets, 99));
  fig('list 200 configmaps p50', (m) => percentile(m.lists, 50));
  fig('watch event delivery p50 (create sent -> event received)', (m) => percentile(m.watch, 50));
  fig('watch event delivery p99', (m) => percentile(m.watch, 99));
  report(figures);
}

main().catch((err) => {
  console.error(`bench cluster: ${(err as Error).message}`);
  process.exit(1);
});
