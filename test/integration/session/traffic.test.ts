// Production traffic: while sessions on web start and stop twenty times, steady un-keyed traffic
// through the original web Service (from a load generator inside the cluster, through web → catalog
// → ratings) must not see one failed request, in a mesh namespace (Istio routes) and a plain one
// (the Devlane router is put in front of web and taken out again every cycle). Latency before and
// during is reported, never asserted.
import assert from 'node:assert/strict';
import { setMaxListeners } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { KubeClusters } from '../../../src/cluster/clusters';
import { Sessions } from '../../../src/session/sessions';
import { kubeconfigPath, MemoryLogger, needsCluster, expectedStrategy, needsMesh } from '../../helpers/cluster';
import { contexts } from '../../helpers/kubectl';
import { describeLoad, startLoad } from '../../helpers/load';
import { chain, startClientPod } from '../../helpers/session';
import { createShop, type Shop } from '../../helpers/shop';

const cycles = 20;
const rate = 50;
/** One signal is shared by the requests of a start (access reviews run in parallel). */
const signal = () => {
  const s = AbortSignal.timeout(240_000);
  setMaxListeners(200, s);
  return s;
};

for (const istio of [false, true]) {
  describe(`production traffic while sessions start and stop (${istio ? 'istio' : 'router'})`, istio ? needsMesh : needsCluster, () => {
    let shop: Shop;
    let client: string;
    before(async () => {
      shop = await createShop(istio ? 'dl-tr-mesh' : 'dl-tr-plain', { istio });
      client = await startClientPod(shop.namespace);
    });
    after(() => shop?.cleanup());

    it(`loses no un-keyed request over ${cycles} session starts and stops`, async (t) => {
      const clusters = new KubeClusters({ setting: () => kubeconfigPath, env: {} }, { logger: new MemoryLogger(), idleMs: 0 });
      const logger = new MemoryLogger();
      const conn = clusters.connection(contexts.alice);
      const sessions = new Sessions({ api: conn.objects, context: contexts.alice, namespace: shop.namespace, participant: conn.context.user, logger });
      const load = startLoad(shop.namespace, client, { url: 'http://web/api/products', rate, maxSeconds: 900 });
      const events: string[] = [];
      const note = (what: string) => events.push(`${new Date().toISOString()} ${what}`);
      let routed = 0;
      let failure: unknown;
      try {
        await new Promise((r) => setTimeout(r, 10_000));
        load.phase('during');
        for (let i = 0; i < cycles; i++) {
          const name = `traffic-${i}`;
          note(`start ${name}`);
          const s = await sessions.start({ service: 'web', session: name }, signal());
          s.heartbeat.dispose();
          note(`live ${name} (${s.strategy})`);
          assert.equal(s.strategy, expectedStrategy(istio));
          // The session really routes (so the traffic above really ran past a live route).
          if (i % 5 === 0) {
            assert.equal(chain(shop.namespace, client, { 'x-devlane-route': s.routeKey }), `web=devlane:${name} catalog=original ratings=original`);
            routed++;
          }
          await sessions.stop(name, signal());
          note(`stopped ${name}`);
        }
        load.phase('after');
        await new Promise((r) => setTimeout(r, 3_000));
      } catch (err) {
        failure = err;
      }
      const summary = await load.stop();
      clusters.dispose();
      for (const phase of ['before', 'during', 'after']) t.diagnostic(describeLoad(phase, summary[phase]));
      const failures = Object.entries(summary).flatMap(([phase, s]) => s.firstFailures.map((f) => `${phase} ${new Date(f.at).toISOString()} ${f.error}`));
      if (failures.length) t.diagnostic(`failures:\n${failures.join('\n')}\nsession events:\n${events.join('\n')}`);
      if (failure) throw failure;
      const failed = Object.fromEntries(Object.entries(summary).map(([phase, s]) => [phase, s.errors]));
      assert.deepEqual(failed, { before: {}, during: {}, after: {} }, 'un-keyed requests failed');
      assert.ok(summary.before.ok > rate * 5 && summary.during.ok > rate * cycles, `too few answers to mean anything: ${JSON.stringify(summary)}`);
      assert.equal(routed, cycles / 5);
    });
  });
}
