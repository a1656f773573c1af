// bench: needs-cluster
// Data branches: how long the session's branch takes to be ready (created → Ready → seeded) for the
// demo's database grown to about 10 MB and 100 MB, and a session start on orders with a branch side
// by side with one without. Figures only; nothing here passes or fails on time.
import './target';
import { setMaxListeners } from 'node:events';
import { kubectlJson, kubectlOk } from '../test/helpers/kubectl';
import { createShop, type Shop } from '../test/helpers/shop';
import { type Figure, percentile, report } from './lib';
import { sessionsIn } from './sessions';

const starts = 3;
const figures: Figure[] = [];
const fig = (metric: string, value: number, unit = 'ms', baseline?: string, baseline_value?: number) =>
  figures.push({ bench: 'data', metric, value, unit, ...(baseline ? { baseline, baseline_value } : {}) });

const signal = () => {
  const s = AbortSignal.timeout(900_000);
  setMaxListeners(200, s);
  return s;
};

function dbPod(ns: string): string {
  return (kubectlJson(['get', 'pods', '-n', ns, '-l', 'app=db']).items as { metadata: { name: string } }[])[0].metadata
    .name;
}

/** Grows the demo's database to about `mb` megabytes (rows of orders with a padded product name). */
function growTo(ns: string, mb: number): number {
  const sql = (q: string) =>
    kubectlOk(
      [
        'exec',
        '-n',
        ns,
        dbPod(ns),
        '--',
        'sh',
        '-c',
        'psql -X -A -t -q -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "$1"',
        'sql',
        q,
      ],
      { timeoutMs: 600_000 },
    ).trim();
  const size = () => Number(sql('SELECT pg_database_size(current_database())'));
  while (size() < mb * 1e6)
    sql(
      `INSERT INTO orders (customer_id, product, quantity) SELECT 1 + g % 3, repeat(md5(g::text), 8), 1 + g % 5 FROM generate_series(1, ${Math.ceil(mb * 1000)}) g`,
    );
  return size();
}

/** Starts on orders `starts` times (with or without a branch); totals, and the branch's own time. */
async function startTimes(shop: Shop, branch: boolean, limitMb = 500): Promise<{ totals: number[]; ready: number[] }> {
  let created = 0;
  let seeded = 0;
  const { clusters, sessions } = sessionsIn(shop.namespace, (m) => {
    if (m.startsWith('Create Service devlane-data-')) created = performance.now();
    if (/^Data branch \S+ seeded/.test(m)) seeded = performance.now();
  });
  const totals: number[] = [];
  const ready: number[] = [];
  try {
    for (let i = 0; i < starts; i++) {
      const t = performance.now();
      const r = await sessions.start(
        { service: 'orders', session: `bench-data-${i}`, ...(branch ? { data: { limitMb } } : {}) },
        signal(),
      );
      totals.push(performance.now() - t);
      if (branch) ready.push(seeded - created);
      r.heartbeat.dispose();
      await sessions.stop(r.session, signal());
    }
  } finally {
    clusters.dispose();
  }
  return { totals, ready };
}

async function main(): Promise<void> {
  const shop = await createShop('bench-data', { istio: false });
  try {
    const plain = await startTimes(shop, false);
    const small = await startTimes(shop, true);
    fig('session start on orders, no branch: p50', percentile(plain.totals, 50));
    fig(
      "session start on orders, with a branch of the demo's database as shipped: p50",
      percentile(small.totals, 50),
      'ms',
      'no branch',
      percentile(plain.totals, 50),
    );
    for (const mb of [10, 100]) {
      const bytes = growTo(shop.namespace, mb);
      const r = await startTimes(shop, true);
      fig(`branch ready (created → seeded), ${(bytes / 1e6).toFixed(0)} MB: p50`, percentile(r.ready, 50));
      fig(
        `session start with a branch, ${(bytes / 1e6).toFixed(0)} MB: p50`,
        percentile(r.totals, 50),
        'ms',
        'no branch',
        percentile(plain.totals, 50),
      );
    }
  } finally {
    shop.cleanup();
  }
  report(figures);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
