// Which version answered: a response served by a session's developer copy carries
// `x-devlane-copy: <session>`, a response from the original carries none; in a mesh namespace
// (the header set by the session's Istio route) and a plain one (set by the Devlane router), and
// stop leaves the namespace as it was. Requests are made from a pod inside the cluster.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { needsCluster, expectedStrategy, needsMesh } from '../../helpers/cluster';
import { createShop, type Shop } from '../../helpers/shop';
import { cli, kubectlOk, expectRestored, snapshot, startClientPod } from '../../helpers/session';

const script = `
const http = require('http');
const [url, headers] = [process.argv[1], JSON.parse(process.argv[2])];
http.get(url, { headers }, (res) => { let b = ''; res.on('data', (d) => (b += d)); res.on('end', () => process.stdout.write(JSON.stringify({ status: res.statusCode, headers: res.headers, body: b }))); })
  .on('error', (e) => process.stdout.write(JSON.stringify({ status: 0, headers: {}, body: e.message })));`;

interface Answer {
  status: number;
  headers: Record<string, string | undefined>;
  /** Which copy of ratings answered, as it says itself. */
  copy: string;
}

/** GET a rating from inside the cluster, with the response headers. */
function rating(namespace: string, pod: string, headers: Record<string, string> = {}): Answer {
  const r = JSON.parse(
    kubectlOk([
      'exec',
      '-n',
      namespace,
      pod,
      '--',
      'node',
      '-e',
      script,
      'http://ratings/ratings/p-1',
      JSON.stringify(headers),
    ]),
  );
  let copy: string;
  try {
    copy = JSON.parse(r.body).copy;
  } catch {
    copy = `(not JSON: ${r.body})`;
  }
  return { status: r.status, headers: r.headers, copy };
}

for (const istio of [false, true]) {
  describe(
    `x-devlane-copy marks what a developer copy answered (${istio ? 'istio' : 'router'})`,
    istio ? needsMesh : needsCluster,
    () => {
      let shop: Shop;
      let client: string;
      before(async () => {
        shop = await createShop(istio ? 'dl-mk-mesh' : 'dl-mk-plain', { istio });
        client = await startClientPod(shop.namespace);
      });
      after(() => shop?.cleanup());

      it("names the session on keyed answers, is absent from the original's, and is gone after stop", async () => {
        const before = snapshot(shop.namespace);
        const plainBefore = rating(shop.namespace, client);
        assert.equal(plainBefore.status, 200);
        assert.equal(plainBefore.headers['x-devlane-copy'], undefined, 'no marker before any session');

        const start = cli(['-n', shop.namespace, 'start', 'ratings', '--session', 'marker', '--detach', '--json']);
        assert.equal(start.code, 0, start.stderr);
        const { session, routeKey, strategy } = start.json;
        assert.equal(session, 'marker');
        assert.equal(strategy, expectedStrategy(istio));

        const keyed = rating(shop.namespace, client, { 'x-devlane-route': routeKey });
        assert.equal(keyed.status, 200);
        assert.equal(keyed.copy, 'devlane:marker');
        assert.equal(keyed.headers['x-devlane-copy'], 'marker');
        const byBaggage = rating(shop.namespace, client, { baggage: `userId=7, devlane=${routeKey};ttl=3` });
        assert.equal(byBaggage.copy, 'devlane:marker');
        assert.equal(byBaggage.headers['x-devlane-copy'], 'marker');

        const plain = rating(shop.namespace, client);
        assert.equal(plain.status, 200);
        assert.equal(plain.copy, 'original');
        assert.equal(plain.headers['x-devlane-copy'], undefined, "the original's answer carries no marker");
        const otherKey = rating(shop.namespace, client, {
          'x-devlane-route': routeKey.replace(/^./, (c: string) => (c === 'A' ? 'B' : 'A')),
        });
        assert.equal(otherKey.copy, 'original');
        assert.equal(otherKey.headers['x-devlane-copy'], undefined, 'another key is not this session');

        const stop = cli(['-n', shop.namespace, 'stop', session]);
        assert.equal(stop.code, 0, stop.stderr);
        await expectRestored(shop.namespace, before);
        const afterStop = rating(shop.namespace, client, { 'x-devlane-route': routeKey });
        assert.equal(afterStop.copy, 'original');
        assert.equal(afterStop.headers['x-devlane-copy'], undefined, 'no marker once the session is stopped');
      });
    },
  );
}
