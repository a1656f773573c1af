// No routed request fails across saves: while the copy's program restarts after a save (0.1–0.2 s
// with nothing listening), a routed request waits for the new process instead of getting a 502 or
// 503, in every path a routed request takes: Devlane's router (a plain namespace, on every
// cluster), Istio (a mesh namespace; the sandbox emulates the mesh, honouring the route's
// retries), and the paths straight to the copy's pod (Open Routed URL and Try a request). The load
// is steady and routed; the outcome is asserted, never a time.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { needsCluster, needsMesh } from '../../helpers/cluster';
import { describeLoad } from '../../helpers/load';
import { savesUnderLoad, type SavesResult } from '../../helpers/saves';
import { expectRestored, snapshot, startClientPod } from '../../helpers/session';
import { createShop, type Shop } from '../../helpers/shop';
import { expectedStrategy } from '../../helpers/cluster';

const saves = 6;

for (const istio of [false, true]) {
  describe(
    `saves under steady routed load (${istio ? 'Istio' : 'Devlane router'})`,
    istio ? needsMesh : needsCluster,
    () => {
      let shop: Shop;
      let client: string;
      before(async () => {
        shop = await createShop(istio ? 'dl-nfi' : 'dl-nfr', { istio });
        client = await startClientPod(shop.namespace);
      });
      after(() => shop?.cleanup());

      it(`fails no routed request across ${saves} saves, through the Service, Open Routed URL and Try a request`, async () => {
        const before = snapshot(shop.namespace);
        const r: SavesResult = await savesUnderLoad({
          namespace: shop.namespace,
          client,
          saves,
          rate: 20,
          baselineSeconds: 2,
          session: 'nf',
          signal: AbortSignal.timeout(300_000),
        });
        const said = [
          describeLoad('through the Service, across the saves', r.cluster.saves),
          `Open Routed URL: ${JSON.stringify({ ...r.local.proxy, latencies: undefined })}`,
          `Try a request: ${JSON.stringify({ ...r.local.tryRequest, latencies: undefined })}`,
          JSON.stringify(r.cluster.saves.firstFailures),
        ].join('\n');
        assert.equal(r.strategy, expectedStrategy(istio));
        assert.equal(r.savesSeen, saves, 'each save was answered through the route with its new code');
        assert.ok(r.cluster.saves.ok > 0 && r.local.proxy.sent > 0 && r.local.tryRequest.sent > 0, said);
        assert.equal(r.cluster.saves.failed, 0, `routed requests through the Service failed:\n${said}`);
        assert.equal(r.local.proxy.failed, 0, `routed requests through Open Routed URL failed:\n${said}`);
        assert.equal(r.local.tryRequest.failed, 0, `Try a request failed:\n${said}`);
        await expectRestored(shop.namespace, before);
      });
    },
  );
}
