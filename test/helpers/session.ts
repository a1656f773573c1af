// Helpers for session tests: requests made from inside the cluster (a client pod, through exec, so
// the same test runs on a real cluster), snapshots of a namespace for the before/after diff, and
// the CLI run as a child process.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { contexts, eventually, kubeconfig, kubectl, kubectlJson, kubectlOk } from './kubectl';
import { REPO } from './sandbox';

/* eslint-disable @typescript-eslint/no-explicit-any */

/** A long-running node pod to make requests from. */
export async function startClientPod(namespace: string, name = 'client'): Promise<string> {
  kubectlOk(['run', name, '-n', namespace, '--image=node:20', '--restart=Never', '--labels=test=client', '--command', '--', 'node', '-e', 'setInterval(() => {}, 1 << 30)']);
  await eventually(`client pod in ${namespace}`, () => kubectlJson(['get', 'pod', name, '-n', namespace]).status?.phase === 'Running', 60_000);
  return name;
}

const getScript = `
const http = require('http');
const [url, headers] = [process.argv[1], JSON.parse(process.argv[2])];
http.get(url, { headers }, (res) => { let b = ''; res.on('data', (d) => (b += d)); res.on('end', () => { process.stdout.write(JSON.stringify({ status: res.statusCode, body: b })); }); })
  .on('error', (e) => { process.stdout.write(JSON.stringify({ status: 0, body: e.message })); });`;

/** GET from inside the cluster; returns status and parsed JSON body (or text). */
export function getFromPod(namespace: string, pod: string, url: string, headers: Record<string, string> = {}): { status: number; body: any } {
  const out = kubectlOk(['exec', '-n', namespace, pod, '--', 'node', '-e', getScript, url, JSON.stringify(headers)]);
  const r = JSON.parse(out);
  try {
    return { status: r.status, body: JSON.parse(r.body) };
  } catch {
    return { status: r.status, body: r.body };
  }
}

/** Which copy of web, catalog and ratings answered a request through the whole chain. */
export function chain(namespace: string, pod: string, headers: Record<string, string> = {}): string {
  const r = getFromPod(namespace, pod, 'http://web/api/products', headers);
  if (r.status !== 200) throw new Error(`web answered ${r.status}: ${JSON.stringify(r.body)}`);
  const ratings = new Set((r.body.catalog.products as any[]).map((p) => p.rating.copy));
  return `web=${r.body.copy} catalog=${r.body.catalog.copy} ratings=${[...ratings].join('|')}`;
}

const serverManaged = ['resourceVersion', 'uid', 'creationTimestamp', 'generation', 'managedFields', 'selfLink'];
const snapshotKinds = ['configmaps', 'services', 'deployments', 'leases.coordination.k8s.io', 'serviceaccounts', 'roles', 'rolebindings'];

/** Every object in the namespace, without server-managed metadata and status; pods, ReplicaSets and endpoints (which churn) left out. */
export function snapshot(namespace: string, extraKinds: string[] = []): Record<string, any> {
  const kinds = [...snapshotKinds, ...extraKinds];
  const list = kubectlJson(['get', kinds.join(','), '-n', namespace]).items as any[];
  const out: Record<string, any> = {};
  for (const o of list) {
    if (o.metadata.name === 'kube-root-ca.crt') continue;
    for (const k of serverManaged) delete o.metadata[k];
    delete o.status;
    out[`${o.kind}/${o.metadata.name}`] = o;
  }
  return out;
}

export const istioKinds = ['virtualservices.networking.istio.io', 'destinationrules.networking.istio.io'];

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json?: any;
}

/** Runs dist/cli.js (built by `npm test`) as `context`. */
export function cli(args: string[], context = contexts.alice, timeoutMs = 240_000): CliResult {
  const r = spawnSync(process.execPath, [join(REPO, 'dist/cli.js'), '--kubeconfig', kubeconfig(), '--context', context, ...args], { encoding: 'utf8', timeout: timeoutMs });
  const res: CliResult = { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  if (args.includes('--json')) {
    try {
      res.json = JSON.parse(res.stdout);
    } catch {
      // left undefined; the caller's assertion shows stdout
    }
  }
  return res;
}

export { kubectl, kubectlOk, kubectlJson, eventually };
