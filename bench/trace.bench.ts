// bench: needs-cluster
// Trace Route on the demo shop (a session holds ratings with the Devlane router; the probe enters
// at web with /api/products): how long from the start of a trace to its answer (hops put in
// included; they come out after it), as `devlane trace` and the editor run it, and where that time goes (from the trace's
// own progress messages); and what the observe hops cost everyone else: the latency of un-keyed
// requests to web on fresh connections (a keep-alive connection opened before the hop keeps going
// straight to the pods) while the hops are in, beside the same requests with no hop in the same run.
import { benchCluster, benchKubeconfig } from './target';
import { setMaxListeners } from 'node:events';
import { KubeClusters } from '../src/cluster/clusters';
import { nullLogger } from '../src/core/logger';
import { tracerOf } from '../src/core/session/participant';
import { resolveEntry } from '../src/doctor/entry';
import { keepAliveIdleMs, traceSession } from '../src/doctor/trace';
import { Sessions } from '../src/session/sessions';
import { contexts } from '../test/helpers/kubectl';
import { describeLoad, startLoad } from '../test/helpers/load';
import { startClientPod } from '../test/helpers/session';
import { createShop } from '../test/helpers/shop';
import { type Figure, percentile, report, runBench } from './lib';

const runs = Number(process.env.DEVLANE_BENCH_RUNS ?? 5);
const path = '/api/products';
/** Un-keyed requests per second to web, each on a new connection. */
const rate = 20;
/** How long the no-hop baseline is sampled before the first trace and after each. */
const baselineMs = 8_000;

const figures: Figure[] = [];
const fig = (metric: string, value: number, unit = 'ms', baseline?: string, baseline_value?: number) =>
  figures.push({
    bench: 'trace',
    metric: `${metric} (${benchCluster})`,
    value,
    unit,
    ...(baseline ? { baseline, baseline_value } : {}),
  });

const signal = () => {
  const s = AbortSignal.timeout(600_000);
  setMaxListeners(200, s);
  return s;
};

/** The marks one trace passes, in order: each the first progress message that starts with it. */
const marks = [
  ['hops', 'Putting an observe hop'],
  // The trace's own wait (the hop setup's earlier "Waiting for …" messages are not it).
  ['wait', `Waiting ${keepAliveIdleMs / 1000} s`],
  ['probe', 'Sending probe'],
  ['answered', "The probe's answer"],
  ['leaving', 'Giving back'],
] as const;
type Mark = (typeof marks)[number][0] | 'start' | 'entry' | 'verdict' | 'done';

/** The spans of a trace, named for the figures: from one mark to the next. */
const spans: [name: string, from: Mark, to: Mark][] = [
  ['resolve the entry', 'start', 'entry'],
  ['read the record, join, plan the hops', 'entry', 'hops'],
  ['put the observe hops in', 'hops', 'wait'],
  ['wait for keep-alive connections to go idle', 'wait', 'probe'],
  ['send the probe', 'probe', 'answered'],
  ['read the access records, verdict', 'answered', 'verdict'],
  ['take the hops out (leave)', 'leaving', 'done'],
];

async function main(): Promise<void> {
  const shop = await createShop('bench-trace', { istio: false });
  const clusters = new KubeClusters({ setting: () => benchKubeconfig, env: {} }, { logger: nullLogger, idleMs: 0 });
  try {
    const client = await startClientPod(shop.namespace);
    const conn = clusters.connection(contexts.alice);
    const base = { api: conn.objects, context: contexts.alice, namespace: shop.namespace, logger: nullLogger };
    const sessions = new Sessions({ ...base, participant: conn.context.user });
    const started = await sessions.start({ service: 'ratings', session: 'bench-trace', strategy: 'router' }, signal());
    const load = startLoad(shop.namespace, client, {
      url: 'http://web/healthz',
      rate,
      maxSeconds: 3600,
      fresh: true,
      phase: 'without hops',
    });
    const times: Record<Mark, number>[] = [];
    const timeline: string[] = [];
    let answered = 0;
    try {
      await new Promise((r) => setTimeout(r, baselineMs));
      for (let i = 0; i < runs; i++) {
        const t: Partial<Record<Mark, number>> = { start: performance.now() };
        const report = (m: string) => {
          // The first trace's progress, each message once, for a person reading where the time goes.
          if (i === 0 && !timeline.some((l) => l.endsWith(` ${m}`)))
            timeline.push(`+${Math.round(performance.now() - t.start!)} ms ${m}`);
          const mark = marks.find(([, prefix]) => m.startsWith(prefix))?.[0];
          if (mark && t[mark] === undefined) t[mark] = performance.now();
          // Samples are filed under "with hops" from the moment every hop is in until the probe's
          // answer; around that, hops are going in or out (filed apart, not compared).
          if (mark === 'wait') load.phase('with hops');
          if (mark === 'answered') load.phase('hops going out');
          if (mark === 'hops') load.phase('hops going in');
        };
        const entry = await resolveEntry(conn.objects, shop.namespace, 'web', path, signal());
        t.entry = performance.now();
        const tracer = new Sessions({ ...base, participant: tracerOf(conn.context.user), report });
        const result = await traceSession({ ...base, signal: signal(), report }, tracer, {
          namespace: shop.namespace,
          session: started.session,
          entry: entry.service,
          path,
          onVerdict: () => (t.verdict = performance.now()),
        });
        t.done = performance.now();
        load.phase('without hops');
        if (result.ok) answered++;
        else console.error(`trace ${i + 1}: ${result.sentence}`);
        times.push(t as Record<Mark, number>);
        await new Promise((r) => setTimeout(r, baselineMs));
      }
    } finally {
      const summary = await load.stop();
      started.heartbeat.dispose();
      await sessions.stop(started.session, signal());
      console.error(`The first trace, as it went:\n  ${timeline.join('\n  ')}`);
      for (const [phase, s] of Object.entries(summary)) console.error(describeLoad(`un-keyed to web, ${phase}`, s));
      const without = summary['without hops'];
      const withHops = summary['with hops'];
      if (without && withHops) {
        const what = 'un-keyed requests to web (fresh connections)';
        fig(`${what}: latency p50 with observe hops in`, withHops.p50, 'ms', 'no hops', without.p50);
        fig(`${what}: latency p99 with observe hops in`, withHops.p99, 'ms', 'no hops', without.p99);
        const failed = Object.values(summary).reduce((n, s) => n + s.failed, 0);
        fig(`${what}: failed during the whole run`, failed, 'requests');
      }
    }
    const p50 = (from: Mark, to: Mark) =>
      percentile(
        times.map((t) => t[to] - t[from]).filter((n) => Number.isFinite(n)),
        50,
      );
    // The answer is shown (editor, panel, CLI) when it is known; the hops come out after it.
    fig(`time to the answer, hops in included, p50 of ${runs}`, p50('start', 'verdict'));
    fig('time until the observe hops are out again, p50', p50('start', 'done'));
    for (const [name, from, to] of spans) fig(`  ${name}, p50`, p50(from, to));
    fig('traces that reached the copy with the key', answered, `of ${runs}`);
  } finally {
    clusters.dispose();
    shop.cleanup();
  }
  report(figures);
}

runBench(main);
