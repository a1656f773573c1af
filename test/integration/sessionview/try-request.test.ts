// The session panel's "Try a request" (on the sandbox and on a real Kubernetes cluster,
// test/helpers/target.ts): with a session on ratings, the same request sent through the route is
// answered by the session's copy, and sent without the key by the original, both for the service
// taken over (first hop) and for the entry point web (the route is carried web → catalog →
// ratings). Errors come back as plain words, not exceptions. The demo services say in their body
// which copy answered; the x-devlane-copy header is checked when the routing in this checkout sets
// it.
import assert from 'node:assert/strict';
import { setMaxListeners } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { KubeClusters } from '../../../src/cluster/clusters';
import { sendTry, type TryRequest, type TryResult } from '../../../src/proxy/try-request';
import { type StartResult, Sessions } from '../../../src/session/sessions';
import { kubeconfigPath, MemoryLogger, needsCluster, needsMesh } from '../../helpers/cluster';
import { contexts } from '../../helpers/kubectl';
import { createShop, type Shop } from '../../helpers/shop';

/* eslint-disable @typescript-eslint/no-explicit-any */
const signal = () => {
  const s = AbortSignal.timeout(240_000);
  setMaxListeners(200, s);
  return s;
};

const body = (r: TryResult): any => {
  assert.ok(r.ok, `the request failed: ${!r.ok ? r.error : ''}`);
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body);
};

/** The panel names the version the body says answered: from the header, or from the pod reached. */
function answeredAgrees(r: TryResult, copy: boolean): void {
  assert.ok(r.ok, !r.ok ? r.error : '');
  assert.equal(r.answered.kind, copy ? 'copy' : 'original', r.answered.text);
}

for (const istio of [false, true]) {
  describe(
    `Try a request from the session panel (${istio ? 'istio' : 'router'})`,
    istio ? needsMesh : needsCluster,
    () => {
      let shop: Shop;
      let clusters: KubeClusters;
      let sessions: Sessions;
      let started: StartResult;
      const session = 'try';

      before(async () => {
        shop = await createShop(istio ? 'dl-try-mesh' : 'dl-try', { istio });
        clusters = new KubeClusters(
          { setting: () => kubeconfigPath, env: {} },
          { logger: new MemoryLogger(), idleMs: 0 },
        );
        const conn = clusters.connection(contexts.alice);
        sessions = new Sessions({
          api: conn.objects,
          context: contexts.alice,
          namespace: shop.namespace,
          participant: conn.context.user,
          logger: new MemoryLogger(),
        });
        started = await sessions.start({ service: 'ratings', session }, signal());
      });
      after(async () => {
        started?.heartbeat.dispose();
        if (started) await sessions.stop(session, signal());
        clusters?.dispose();
        await shop?.cleanup();
      });

      const send = (o: Partial<TryRequest>) =>
        sendTry({
          cluster: clusters.connection(contexts.alice),
          namespace: shop.namespace,
          request: {
            method: 'GET',
            path: '/ratings/p-1',
            headers: 'accept: application/json',
            body: '',
            target: 'ratings',
            routed: true,
            ...o,
          },
          routeKey: started.routeKey,
          devService: (o.target ?? 'ratings') === 'ratings' ? started.devService : undefined,
          signal: signal(),
        });

      it('reaches the copy through the route, and the original without the key', async () => {
        const routed = await send({ routed: true });
        const b = body(routed);
        assert.equal(b.copy, `devlane:${session}`);
        assert.equal(b.route, started.routeKey, 'the copy saw the route key');
        assert.equal(
          routed.ok && routed.via.includes(started.devService),
          true,
          'the first hop is the session’s dev Service',
        );
        answeredAgrees(routed, true);
        assert.ok(routed.ok && routed.timeMs >= 0 && routed.bodyBytes > 0);

        const plain = await send({ routed: false });
        const p = body(plain);
        assert.equal(p.copy, 'original');
        assert.equal(p.route, null, 'no route key reached the original');
        answeredAgrees(plain, false);
      });

      it('carries the route past the entry point: web → catalog → the copy of ratings', async () => {
        const routed = body(await send({ target: 'web', path: '/api/products' }));
        assert.equal(routed.copy, 'original', 'web itself is not taken over');
        assert.deepEqual([...new Set(routed.catalog.products.map((p: any) => p.rating.copy))], [`devlane:${session}`]);
        const plain = body(await send({ target: 'web', path: '/api/products', routed: false }));
        assert.deepEqual([...new Set(plain.catalog.products.map((p: any) => p.rating.copy))], ['original']);
      });

      it('says plainly when there is no route, and sends nothing for a malformed request', async () => {
        const none = await send({ target: 'no-such-service', routed: false });
        assert.equal(none.ok, false);
        assert.match(
          !none.ok ? none.error : '',
          /^No route to Service no-such-service in dl-try[\w-]*: .*Nothing was sent\.$/,
        );
        const bad = await send({ headers: 'not a header' });
        assert.equal(bad.ok, false);
        assert.equal(!bad.ok && bad.error, 'Header line 1 ("not a header") is not "Name: value". Nothing was sent.');
      });

      it('keeps only the start of a long body, and says how long it was', async () => {
        const r = await sendTry({
          cluster: clusters.connection(contexts.alice),
          namespace: shop.namespace,
          request: { method: 'GET', path: '/api/products', headers: '', body: '', target: 'web', routed: true },
          routeKey: started.routeKey,
          maxBody: 40,
          signal: signal(),
        });
        assert.ok(r.ok, !r.ok ? r.error : '');
        assert.equal(r.truncated, true);
        assert.equal(Buffer.byteLength(r.body), 40);
        assert.ok(r.bodyBytes > 40);
      });
    },
  );
}
