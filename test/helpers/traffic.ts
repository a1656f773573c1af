// Session churn under production traffic, shared by the traffic test and `npm run bench -- traffic`:
// two load generators inside the cluster send un-keyed GETs through the original web Service — one
// on keep-alive connections, one on a fresh connection per request, as the two kinds of client a
// Service has — while sessions on web start and stop `cycles` times. They ask web's /healthz, which
// web answers itself: every hop such a request takes (the Service, the router put in front of web
// and taken out again, the origin Service, web's pods) is one a session on web changes, and none
// that it does not (web's own calls to catalog and ratings, whose stalls under load are the demo's).
// Every few cycles a keyed request through the whole chain checks that the session really routes. Every
// answer is counted under the cycle it arrived in, so a caller can tell that traffic really flowed
// through each start and stop.
import { setMaxListeners } from 'node:events';
import { KubeClusters } from '../../src/cluster/clusters';
import { Sessions } from '../../src/session/sessions';
import { MemoryLogger } from './cluster';
import { contexts, kubeconfig } from './kubectl';
import { type LoadSummary, startLoad } from './load';
import { chain } from './session';

export interface ChurnOptions {
  namespace: string;
  /** A node pod in the namespace to send from (startClientPod). */
  client: string;
  cycles: number;
  /** Requests per second of each generator. */
  rate: number;
  /** Every this many cycles, a keyed request checks that the session really routes to the copy. */
  checkRouteEvery: number;
  /** Called with each live session (e.g. to assert its strategy). */
  onLive?: (session: { name: string; strategy: string }) => void;
}

export interface ChurnResult {
  /** Per generator ("keep-alive", "fresh connections"): the summary per phase (before, during, after). */
  loads: Record<string, LoadSummary>;
  /** What the routed requests answered, one per checked cycle. */
  routed: string[];
  /** Timestamped session events, for reading failures against. */
  events: string[];
  /** The error that stopped the cycles, if one did (the loads are stopped and summarised anyway). */
  failure?: unknown;
}

/** One signal per start or stop (access reviews run in parallel and share it). */
const signal = () => {
  const s = AbortSignal.timeout(240_000);
  setMaxListeners(200, s);
  return s;
};

export const cycleLabel = (i: number) => `cycle ${i}`;

export async function churn(o: ChurnOptions): Promise<ChurnResult> {
  const clusters = new KubeClusters(
    { setting: () => kubeconfig(), env: {} },
    { logger: new MemoryLogger(), idleMs: 0 },
  );
  const conn = clusters.connection(contexts.alice);
  const sessions = new Sessions({
    api: conn.objects,
    context: contexts.alice,
    namespace: o.namespace,
    participant: conn.context.user,
    logger: new MemoryLogger(),
  });
  const url = 'http://web/healthz';
  const maxSeconds = 3600;
  const loads = {
    'keep-alive': startLoad(o.namespace, o.client, { url, rate: o.rate, maxSeconds }),
    'fresh connections': startLoad(o.namespace, o.client, { url, rate: o.rate, maxSeconds, fresh: true }),
  };
  const all = Object.values(loads);
  const events: string[] = [];
  const note = (what: string) => events.push(`${new Date().toISOString()} ${what}`);
  const routed: string[] = [];
  let failure: unknown;
  try {
    await new Promise((r) => setTimeout(r, 5_000));
    for (const l of all) l.phase('during');
    for (let i = 0; i < o.cycles; i++) {
      for (const l of all) l.label(cycleLabel(i));
      const name = `traffic-${i}`;
      note(`start ${name}`);
      const s = await sessions.start({ service: 'web', session: name }, signal());
      s.heartbeat.dispose();
      note(`live ${name} (${s.strategy})`);
      o.onLive?.({ name, strategy: s.strategy });
      if (i % o.checkRouteEvery === 0) routed.push(chain(o.namespace, o.client, { 'x-devlane-route': s.routeKey }));
      await sessions.stop(name, signal());
      note(`stopped ${name}`);
    }
    for (const l of all) l.phase('after');
    await new Promise((r) => setTimeout(r, 3_000));
  } catch (err) {
    failure = err;
  }
  const summaries = await Promise.all(Object.entries(loads).map(async ([k, l]) => [k, await l.stop()] as const));
  clusters.dispose();
  return { loads: Object.fromEntries(summaries), routed, events, failure };
}

/** The failures the generators saw, one line each, with the session events to read them against. */
export function describeFailures(r: ChurnResult): string | undefined {
  const failures = Object.entries(r.loads).flatMap(([load, summary]) =>
    Object.entries(summary).flatMap(([phase, s]) =>
      s.firstFailures.map(
        (f) =>
          `${load}, ${phase}, ${new Date(f.at).toISOString()}: ${f.error} after ${f.ms} ms${f.body ? `: ${f.body}` : ''}`,
      ),
    ),
  );
  return failures.length ? `failures:\n${failures.join('\n')}\nsession events:\n${r.events.join('\n')}` : undefined;
}
