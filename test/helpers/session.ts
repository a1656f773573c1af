// Helpers for session tests: requests made from inside the cluster (a client pod, through exec, so
// the same test runs on a real cluster), snapshots of a namespace for the before/after diff, and
// the CLI run as a child process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { contexts, eventually, kubeconfig, kubectl, kubectlJson, kubectlOk } from './kubectl';
import { prerequisite } from './prerequisite';
import { REPO } from './sandbox';
import type { KubeClusters } from '../../src/cluster/clusters';
import { Sessions } from '../../src/session/sessions';
import { MemoryLogger } from './cluster';

/* eslint-disable @typescript-eslint/no-explicit-any */

/** A long-running node pod to make requests from. */
export async function startClientPod(namespace: string, name = 'client'): Promise<string> {
  kubectlOk([
    'run',
    name,
    '-n',
    namespace,
    '--image=node:20',
    '--restart=Never',
    '--labels=test=client',
    '--command',
    '--',
    'node',
    '-e',
    'setInterval(() => {}, 1 << 30)',
  ]);
  await eventually(
    `client pod in ${namespace}`,
    () => kubectlJson(['get', 'pod', name, '-n', namespace]).status?.phase === 'Running',
    60_000,
  );
  return name;
}

const getScript = `
const http = require('http');
const [url, headers] = [process.argv[1], JSON.parse(process.argv[2])];
http.get(url, { headers }, (res) => { let b = ''; res.on('data', (d) => (b += d)); res.on('end', () => { process.stdout.write(JSON.stringify({ status: res.statusCode, body: b })); }); })
  .on('error', (e) => { process.stdout.write(JSON.stringify({ status: 0, body: e.message })); });`;

/** GET from inside the cluster; returns status and parsed JSON body (or text). */
export function getFromPod(
  namespace: string,
  pod: string,
  url: string,
  headers: Record<string, string> = {},
): { status: number; body: any } {
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

/**
 * Kinds left out of a snapshot because they change on their own, whatever Devlane does: Events are a
 * log every component appends to, and metrics.k8s.io reports live usage.
 */
const changingKinds = (name: string) =>
  name === 'events' || name === 'events.events.k8s.io' || name.endsWith('.metrics.k8s.io');

let discovered: string[] | undefined;
/**
 * Every namespaced kind the API server lists (as the admin), as the cluster's discovery says. An
 * aggregated API that is down (kubectl then lists the rest and exits 1) serves no objects to compare.
 */
function namespacedKinds(): string[] {
  if (discovered) return discovered;
  const r = kubectl(['api-resources', '--namespaced', '-o', 'name', '--verbs=list']);
  if (r.code !== 0 && !(r.stdout.trim() && /unable to retrieve the complete list of server APIs/.test(r.stderr)))
    throw new Error(`kubectl api-resources failed (${r.code}): ${r.stderr}`);
  discovered = r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !changingKinds(l));
  return discovered;
}

/** What an endpoint list says: which addresses serve which ports, and whether they are ready. */
const endpointSet = (addresses: string[], ports: string[]) => ({
  addresses: [...new Set(addresses)].sort(),
  ports: [...new Set(ports)].sort(),
});
const portNames = (ports: any[] | undefined): string[] =>
  (ports ?? []).map((p) => `${p.name ?? ''}:${p.port}/${p.protocol ?? 'TCP'}`);

/**
 * The key and comparable form of one object. Endpoints and EndpointSlices are rewritten by their
 * controllers (trigger-time annotations, generated slice names, how addresses are split into
 * slices), so they are compared by what a client sees: the set of addresses (with readiness) and
 * ports per Service. Leases that are not Devlane's (none in a test namespace, but a cluster may add
 * some) are renewed by their holders all the time, so their renew time is left out; Devlane's own
 * are compared whole, since one still renewing after stop is a session that did not end.
 */
function comparable(o: any): [string, any] {
  const meta = o.metadata;
  if (o.kind === 'Endpoints') {
    const addrs = (o.subsets ?? []).flatMap((s: any) => [
      ...(s.addresses ?? []).map((a: any) => `${a.ip} ready`),
      ...(s.notReadyAddresses ?? []).map((a: any) => `${a.ip} not-ready`),
    ]);
    return [
      `Endpoints/${meta.name}`,
      {
        labels: meta.labels ?? {},
        ...endpointSet(addrs, portNames((o.subsets ?? []).flatMap((s: any) => s.ports ?? []))),
      },
    ];
  }
  if (o.kind === 'EndpointSlice') {
    const addrs = (o.endpoints ?? []).flatMap((e: any) =>
      (e.addresses ?? []).map((a: string) => `${a} ${e.conditions?.ready === false ? 'not-ready' : 'ready'}`),
    );
    return [
      `EndpointSlice/${meta.labels?.['kubernetes.io/service-name'] ?? meta.name}/${o.addressType}`,
      endpointSet(addrs, portNames(o.ports)),
    ];
  }
  for (const k of serverManaged) delete meta[k];
  delete o.status;
  if (o.kind === 'Lease' && meta.labels?.['app.kubernetes.io/managed-by'] !== 'devlane') delete o.spec?.renewTime;
  return [`${o.kind}/${meta.name}`, o];
}

/**
 * Every object of every namespaced kind in the namespace, without what the server or controllers
 * set (status, server-managed metadata, endpoint bookkeeping) and without kinds that change on
 * their own (Events, metrics). Pods, ReplicaSets and objects still terminating are included, so a
 * comparison after stop waits until whatever a session made is gone.
 */
export function snapshot(namespace: string): Record<string, any> {
  const list = kubectlJson(['get', namespacedKinds().join(','), '-n', namespace]).items as any[];
  const out: Record<string, any> = {};
  for (const o of list) {
    if (o.kind === 'ConfigMap' && o.metadata.name === 'kube-root-ca.crt') continue;
    const [key, value] = comparable(o);
    const seen = out[key];
    // A Service's addresses may be split over several slices: compare their union.
    if (seen && o.kind === 'EndpointSlice')
      out[key] = endpointSet([...seen.addresses, ...value.addresses], [...seen.ports, ...value.ports]);
    else out[key] = value;
  }
  return out;
}

/** Waits (with a deadline that only catches a hang) until the namespace equals `before` again. */
export async function expectRestored(
  namespace: string,
  before: Record<string, any>,
  timeoutMs = 180_000,
): Promise<void> {
  await eventually(
    'the namespace to equal its snapshot',
    () => (assert.deepEqual(snapshot(namespace), before), true),
    timeoutMs,
    1000,
  );
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json?: any;
}

const cliArgv = (args: string[], context: string) => [
  process.execPath,
  join(REPO, 'dist/cli.js'),
  '--kubeconfig',
  kubeconfig(),
  '--context',
  context,
  ...args,
];

/** Runs dist/cli.js (built by `npm test`) as `context`. */
export function cli(args: string[], context = contexts.alice, timeoutMs = 240_000): CliResult {
  const [node, ...rest] = cliArgv(args, context);
  const r = spawnSync(node, rest, { encoding: 'utf8', timeout: timeoutMs });
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

/** Whether util-linux's `script` is here to give the CLI a terminal (test/helpers/prerequisite.ts). */
export const needsTerminal = (): string | false =>
  prerequisite(
    spawnSync('script', ['--version']).status === 0
      ? false
      : "util-linux's script is not installed (it gives the CLI a terminal to ask on)",
  );

/**
 * Runs dist/cli.js on a terminal of its own (a pty made by util-linux's `script`), typing `typed`
 * as the user would. What the terminal showed (stdout and stderr, with the echo) is `output`.
 */
export function cliOnTerminal(
  args: string[],
  typed: string,
  context = contexts.alice,
  timeoutMs = 240_000,
): { code: number; output: string } {
  const quote = (a: string) => `'${a.replace(/'/g, "'\\''")}'`;
  const r = spawnSync(
    'script',
    ['--quiet', '--return', '--command', cliArgv(args, context).map(quote).join(' '), '/dev/null'],
    { input: typed, encoding: 'utf8', timeout: timeoutMs },
  );
  return { code: r.status ?? 1, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** Alice's session operations in `namespace`, as the editor makes them, with a logger to read. */
export function aliceSessions(clusters: KubeClusters, namespace: string) {
  const conn = clusters.connection(contexts.alice);
  const logger = new MemoryLogger();
  const sessions = new Sessions({
    api: conn.objects,
    context: contexts.alice,
    namespace,
    participant: conn.context.user,
    logger,
  });
  return { conn, logger, sessions };
}
