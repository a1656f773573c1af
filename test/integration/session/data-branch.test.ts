// Data branches with the CLI: `devlane start orders --branch-data` gives the session a PostgreSQL of
// its own, seeded from the shop's db; orders created through the route land in the branch and
// un-keyed ones in the original, whose tables are otherwise unchanged (a checksum of each, before
// and after); a second participant taking over another service of the same database shares the
// branch; stop removes it; a database over the limit is refused before anything is created.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { needsCluster } from '../../helpers/cluster';
import { contexts } from '../../helpers/kubectl';
import { createShop, type Shop } from '../../helpers/shop';
import { cli, expectRestored, kubectlJson, kubectlOk, snapshot, startClientPod } from '../../helpers/session';

/* eslint-disable @typescript-eslint/no-explicit-any */

const sendScript = `
const http = require('http');
const [method, url, headers, body] = [process.argv[1], process.argv[2], JSON.parse(process.argv[3]), process.argv[4]];
const req = http.request(url, { method, headers: { ...headers, 'content-type': 'application/json' } }, (res) => {
  let b = ''; res.on('data', (d) => (b += d)); res.on('end', () => process.stdout.write(JSON.stringify({ status: res.statusCode, body: b })));
});
req.on('error', (e) => process.stdout.write(JSON.stringify({ status: 0, body: e.message })));
req.end(body);`;

/** An HTTP call from the client pod; the JSON answer. */
function send(ns: string, pod: string, method: string, url: string, headers: Record<string, string>, body = ''): any {
  const out = kubectlOk([
    'exec',
    '-n',
    ns,
    pod,
    '--',
    'node',
    '-e',
    sendScript,
    method,
    url,
    JSON.stringify(headers),
    body,
  ]);
  const r = JSON.parse(out);
  assert.ok(r.status >= 200 && r.status < 300, `${method} ${url} answered ${r.status}: ${r.body}`);
  return JSON.parse(r.body);
}

/** The Ready pod of a Deployment, by its selector. */
function podOf(ns: string, deployment: string): string {
  const d = kubectlJson(['get', 'deployment', deployment, '-n', ns]);
  const sel = Object.entries(d.spec.selector.matchLabels as Record<string, string>)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const pods = kubectlJson(['get', 'pods', '-n', ns, '-l', sel]).items as any[];
  const ready = pods.find(
    (p) =>
      !p.metadata.deletionTimestamp &&
      p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'),
  );
  assert.ok(ready, `a Ready pod of ${deployment}`);
  return ready.metadata.name;
}

/** Runs SQL with psql in a postgres pod (as its own user, over its unix socket); the unaligned rows. */
function sql(ns: string, deployment: string, query: string): string[] {
  return kubectlOk([
    'exec',
    '-n',
    ns,
    podOf(ns, deployment),
    '--',
    'sh',
    '-c',
    'exec psql -X -A -t -q -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "$1"',
    'sql',
    query,
  ])
    .split('\n')
    .filter(Boolean);
}

/** md5 of every table's rows (sorted), by table; `except` leaves rows out by id (the test's own un-keyed writes). */
function checksums(ns: string, deployment: string, except: Record<string, number[]> = {}): Record<string, string> {
  const tables = sql(ns, deployment, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
  assert.deepEqual(tables, ['customers', 'orders'], 'the demo schema');
  return Object.fromEntries(
    tables.map((t) => {
      const ids = except[t] ?? [];
      const where = ids.length ? ` WHERE id NOT IN (${ids.join(', ')})` : '';
      const [sum] = sql(
        ns,
        deployment,
        `SELECT md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), '')) FROM ${t} r${where}`,
      );
      return [t, sum];
    }),
  );
}

const products = (list: any[]) => list.map((o) => o.product);

describe('data branches with the CLI', needsCluster, () => {
  let shop: Shop;
  let client: string;
  before(async () => {
    shop = await createShop('dl-data', { istio: false });
    client = await startClientPod(shop.namespace);
  });
  after(() => shop?.cleanup());

  it('refuses a database over the limit before creating anything, saying its size and the flag', () => {
    const before = snapshot(shop.namespace);
    const r = cli([
      '-n',
      shop.namespace,
      'start',
      'orders',
      '--detach',
      '--branch-data',
      '--branch-data-limit',
      '0.001',
    ]);
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(r.stderr, /The database db:5432\/shop is [\d.]+ MB, larger than the data branch limit of 0\.001 MB/);
    assert.match(r.stderr, /Nothing was created\. Raise the limit \(devlane start --branch-data-limit \d+/);
    assert.deepEqual(snapshot(shop.namespace), before, 'nothing was created');
  });

  it('routed writes land in the branch, un-keyed ones in the original; a second participant shares it; stop removes it', async (t) => {
    const ns = shop.namespace;
    // A second service on the same database, for bob: orders' Deployment and Service under another name.
    const orders = kubectlJson(['get', 'deployment', 'orders', '-n', ns]);
    const reports = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'reports', namespace: ns, labels: { app: 'reports' } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'reports' } },
        template: {
          metadata: { labels: { app: 'reports' } },
          spec: { ...orders.spec.template.spec },
        },
      },
    };
    const reportsService = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'reports', namespace: ns },
      spec: { selector: { app: 'reports' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    };
    kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [reports, reportsService] }),
    });
    kubectlOk(['rollout', 'status', 'deployment/reports', '-n', ns, '--timeout=120s']);

    const before = snapshot(ns);
    const sumsBefore = checksums(ns, 'db');
    const tag = randomBytes(3).toString('hex');

    const start = cli(['-n', ns, 'start', 'orders', '--detach', '--json', '--branch-data']);
    assert.equal(start.code, 0, start.stderr);
    const { session, routeKey, dataBranch } = start.json;
    t.after(() => void cli(['-n', ns, 'stop', session]));
    assert.deepEqual(dataBranch, {
      name: `devlane-data-${session}`,
      source: 'db:5432/shop',
      bytes: dataBranch.bytes,
      shared: false,
    });
    assert.ok(dataBranch.bytes > 0, 'the size of the original was read');
    const key = { 'x-devlane-route': routeKey };

    // Seeded: the branch holds the original's rows.
    assert.deepEqual(checksums(ns, dataBranch.name), sumsBefore, 'the branch starts as a copy of the original');

    const routed = send(
      ns,
      client,
      'POST',
      'http://web/api/orders',
      key,
      JSON.stringify({ customer: 'ada@example.com', product: `routed-${tag}`, quantity: 2 }),
    );
    assert.equal(routed.orders.copy, `devlane:${session}`, 'the routed write reached the copy');
    assert.equal(routed.orders.database, dataBranch.name, 'the copy writes to the branch');
    const plain = send(
      ns,
      client,
      'POST',
      'http://web/api/orders',
      {},
      JSON.stringify({ customer: 'grace@example.com', product: `plain-${tag}`, quantity: 1 }),
    );
    assert.equal(plain.orders.copy, 'original');
    assert.equal(plain.orders.database, 'db');

    const inBranch = sql(ns, dataBranch.name, 'SELECT product FROM orders ORDER BY id');
    const inOriginal = sql(ns, 'db', 'SELECT product FROM orders ORDER BY id');
    assert.ok(inBranch.includes(`routed-${tag}`) && !inBranch.includes(`plain-${tag}`), `branch: ${inBranch}`);
    assert.ok(inOriginal.includes(`plain-${tag}`) && !inOriginal.includes(`routed-${tag}`), `original: ${inOriginal}`);
    assert.deepEqual(
      products(send(ns, client, 'GET', 'http://web/api/orders', key).orders.orders),
      inBranch,
      'a routed read sees the branch',
    );

    // bob joins and takes over reports (same database), without asking: he gets the session's branch.
    assert.equal(cli(['join', session, '-n', ns], contexts.bob).code, 0);
    const bobStart = cli(['-n', ns, 'start', 'reports', '--session', session, '--detach', '--json'], contexts.bob);
    assert.equal(bobStart.code, 0, bobStart.stderr);
    assert.deepEqual(bobStart.json.dataBranch, { name: dataBranch.name, source: 'db:5432/shop', shared: true });
    const viaBob = send(ns, client, 'GET', 'http://reports/orders', key);
    assert.equal(viaBob.copy, `devlane:${session}`);
    assert.deepEqual(products(viaBob.orders), inBranch, "bob's copy reads the same branch as alice's");
    // bob leaving keeps the branch for alice's copy.
    assert.equal(cli(['leave', session, '-n', ns], contexts.bob).code, 0);
    assert.ok(
      kubectlJson(['get', 'deployment', dataBranch.name, '-n', ns]).metadata.name,
      'the branch stays while orders uses it',
    );
    assert.deepEqual(
      products(send(ns, client, 'GET', 'http://web/api/orders', key).orders.orders),
      inBranch,
      "alice's copy still reads the branch",
    );

    const stop = cli(['-n', ns, 'stop', session]);
    assert.equal(stop.code, 0, stop.stderr);
    await expectRestored(ns, before);
    const plainId = Number(plain.orders.order.id);
    assert.deepEqual(
      checksums(ns, 'db', { orders: [plainId] }),
      sumsBefore,
      'the original changed only by the un-keyed write this test made',
    );
    assert.deepEqual(sql(ns, 'db', `SELECT product, quantity FROM orders WHERE id = ${plainId}`), [`plain-${tag}|1`]);
  });
});
