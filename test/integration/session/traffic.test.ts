// Production traffic: while sessions on web start and stop, steady un-keyed traffic through the
// original web Service (from load generators inside the cluster, on keep-alive and on fresh
// connections; see test/helpers/traffic.ts for what they ask) must not see one failed request, in a mesh
// namespace (Istio routes) and a plain one (the Devlane router is put in front of web and taken out
// again every cycle). Latency before and during is reported, never asserted.
// Cycles: each one on the real cluster really starts and stops pods (about 35 s on this machine);
// `npm run bench -- traffic` runs 50 and counts the failures, on either cluster.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { needsCluster, expectedStrategy, needsMesh } from '../../helpers/cluster';
import { describeLoad } from '../../helpers/load';
import { startClientPod } from '../../helpers/session';
import { createShop, type Shop } from '../../helpers/shop';
import { onRealCluster } from '../../helpers/target';
import { churn, cycleLabel, describeFailures } from '../../helpers/traffic';

const cycles = onRealCluster ? 8 : 20;
const checkRouteEvery = 4;
const rate = 25;

for (const istio of [false, true]) {
  describe(
    `production traffic while sessions start and stop (${istio ? 'istio' : 'router'})`,
    istio ? needsMesh : needsCluster,
    () => {
      let shop: Shop | undefined;

      it(`loses no un-keyed request over ${cycles} session starts and stops`, async (t) => {
        shop = await createShop(istio ? 'dl-tr-mesh' : 'dl-tr-plain', { istio });
        try {
          const client = await startClientPod(shop.namespace);
          const strategies = new Set<string>();
          const r = await churn({
            namespace: shop.namespace,
            client,
            cycles,
            rate,
            checkRouteEvery,
            onLive: (s) => strategies.add(s.strategy),
          });
          for (const [load, summary] of Object.entries(r.loads)) {
            for (const phase of ['before', 'during', 'after'])
              t.diagnostic(describeLoad(`${load}, ${phase}`, summary[phase]));
          }
          const failures = describeFailures(r);
          if (failures) t.diagnostic(failures);
          if (r.failure) throw r.failure;
          assert.deepEqual([...strategies], [expectedStrategy(istio)]);
          // The sessions really routed, so the traffic really ran past live routes.
          assert.deepEqual(
            r.routed,
            Array.from(
              { length: Math.ceil(cycles / checkRouteEvery) },
              (_, k) => `web=devlane:traffic-${k * checkRouteEvery} catalog=original ratings=original`,
            ),
          );
          for (const [load, summary] of Object.entries(r.loads)) {
            const failed = Object.fromEntries(Object.entries(summary).map(([phase, s]) => [phase, s.errors]));
            assert.deepEqual(failed, { before: {}, during: {}, after: {} }, `un-keyed requests failed (${load})`);
            // Traffic was answered through every start and stop, not only around them.
            const silent = Array.from({ length: cycles }, (_, i) => cycleLabel(i)).filter(
              (c) => !summary.during.okByLabel[c],
            );
            assert.deepEqual(silent, [], `no un-keyed request was answered during these cycles (${load})`);
          }
        } finally {
          shop.cleanup();
        }
      });
    },
  );
}
