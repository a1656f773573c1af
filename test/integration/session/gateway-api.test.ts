// The Gateway API strategy, on the sandbox and on a real Kubernetes cluster (test/helpers/target.ts):
// the session's rules are added to the HTTPRoute that routes to the Service (server-side validated,
// dry-run first), and stop leaves the HTTPRoute exactly as it was. The sandbox stores and validates
// HTTPRoutes but routes no traffic by them (it has no Gateway), so there only what the cluster holds
// is checked. Where the cluster runs a Gateway data plane (the real cluster runs Traefik), requests
// are sent through a Gateway of the test's own and must reach the copy exactly when they are keyed.
import assert from 'node:assert/strict';
import { setMaxListeners } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { KubeClusters } from '../../../src/cluster/clusters';
import { Sessions } from '../../../src/session/sessions';
import { kubeconfigPath, MemoryLogger, needsCluster, until } from '../../helpers/cluster';
import { createGateway, gatewayPort, needsGateway } from '../../helpers/gateway';
import { httpGet } from '../../helpers/http';
import { contexts, kubectlJson, kubectlOk } from '../../helpers/kubectl';
import { cli, expectRestored, snapshot } from '../../helpers/session';
import { createShop, type Shop } from '../../helpers/shop';

const httpRoute = (ns: string) =>
  JSON.stringify({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'shop', namespace: ns },
    spec: {
      parentRefs: [{ name: 'public' }],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/ratings' } }],
          backendRefs: [{ name: 'ratings', port: 80 }],
        },
        { backendRefs: [{ name: 'web', port: 80 }] },
      ],
    },
  });

/** Sessions as alice, bound to exactly the shipped Role (sandbox/demo/manifests/rbac.yaml), which grants httproutes. */
function aliceSessions(namespace: string) {
  const clusters = new KubeClusters(
    { setting: () => kubeconfigPath, env: {} },
    { logger: new MemoryLogger(), idleMs: 0 },
  );
  const sessions = new Sessions({
    api: clusters.connection(contexts.alice).objects,
    context: contexts.alice,
    namespace,
    participant: 'alice',
    logger: new MemoryLogger(),
  });
  const signal = AbortSignal.timeout(240_000);
  setMaxListeners(200, signal);
  return { clusters, sessions, signal };
}

describe(
  'Gateway API routes (the sandbox stores and validates HTTPRoutes, it does not route by them)',
  needsCluster,
  () => {
    let shop: Shop;
    before(async () => {
      shop = await createShop('dl-gw', { istio: false });
      kubectlOk(['apply', '-f', '-'], { input: httpRoute(shop.namespace) });
    });
    after(() => shop?.cleanup());

    it("adds the session's keyed rule to the HTTPRoute and takes exactly it away on stop", async () => {
      const before = snapshot(shop.namespace);
      const { clusters, sessions, signal } = aliceSessions(shop.namespace);
      try {
        const s = await sessions.start({ service: 'ratings', session: 'gw', strategy: 'gateway-api' }, signal);
        s.heartbeat.dispose();
        assert.equal(s.strategy, 'gateway-api');
        const rules = kubectlJson(['get', 'httproute', 'shop', '-n', shop.namespace]).spec.rules;
        assert.equal(rules.length, 3);
        assert.deepEqual(
          rules[0].backendRefs.map((r: { name: string }) => r.name),
          ['ratings-dl-gw'],
        );
        assert.deepEqual(
          rules[0].matches.map((m: { path: { value: string }; headers: { name: string; value: string }[] }) => [
            m.path.value,
            m.headers[0].name,
          ]),
          [
            ['/ratings', 'x-devlane-route'],
            ['/ratings', 'baggage'],
          ],
        );
        assert.equal(rules[0].matches[0].headers[0].value, s.routeKey);
        // Trace Route's probe enters by a Service, never through a Gateway: it refuses, changing nothing.
        const during = snapshot(shop.namespace);
        const trace = cli(['-n', shop.namespace, 'trace', 'gw', '--entry', 'web']);
        assert.equal(trace.code, 1);
        assert.match(trace.stderr, /routes ratings with Gateway API, which routes only what enters through a Gateway/);
        assert.match(trace.stderr, /Nothing was changed/);
        assert.deepEqual(snapshot(shop.namespace), during);
        await sessions.stop('gw', signal);
      } finally {
        clusters.dispose();
      }
      await expectRestored(shop.namespace, before);
    });
  },
);

describe('Gateway API routes through a real Gateway data plane', needsGateway, () => {
  let shop: Shop;
  let base: string;
  let host: string;
  /** Which copy of ratings answered a request through the Gateway, and the copy header it returned. */
  const ratings = async (headers: Record<string, string> = {}) => {
    const r = await httpGet(`${base}/ratings/p-1`, { host, ...headers });
    assert.equal(r.status, 200, `the Gateway answered ${r.status}: ${r.body}`);
    return { copy: JSON.parse(r.body).copy as string, header: r.headers['x-devlane-copy'] };
  };
  before(async () => {
    shop = await createShop('dl-gwt', { istio: false });
    host = `${shop.namespace}.devlane.test`;
    kubectlOk(['apply', '-f', '-'], { input: httpRoute(shop.namespace) });
    base = await createGateway(shop.namespace, 'public', host, gatewayPort() as number);
    await until('the HTTPRoute to route through the Gateway', () => ratings(), 60_000);
  });
  after(() => shop?.cleanup());

  it('sends keyed requests to the copy and the rest to the original, then everything to the original after stop', async () => {
    const before = snapshot(shop.namespace);
    const original = { copy: 'original', header: undefined };
    const copy = { copy: 'devlane:gw', header: 'gw' };
    assert.deepEqual(await ratings(), original);
    const { clusters, sessions, signal } = aliceSessions(shop.namespace);
    let key = '';
    try {
      const s = await sessions.start({ service: 'ratings', session: 'gw', strategy: 'gateway-api' }, signal);
      s.heartbeat.dispose();
      key = s.routeKey;
      // The data plane applies an HTTPRoute change shortly after the API server stored it.
      await until(
        'keyed requests to reach the copy',
        async () => (await ratings({ 'x-devlane-route': key })).copy !== 'original',
      );
      assert.deepEqual(await ratings({ 'x-devlane-route': key }), copy);
      assert.deepEqual(await ratings({ baggage: `devlane=${key}` }), copy);
      assert.deepEqual(await ratings({ baggage: `user=7, devlane=${key};p=1` }), copy);
      assert.deepEqual(await ratings(), original);
      assert.deepEqual(await ratings({ 'x-devlane-route': `${key}x` }), original);
      assert.deepEqual(await ratings({ baggage: `devlane=${key}x` }), original);
      await sessions.stop('gw', signal);
    } finally {
      clusters.dispose();
    }
    await until(
      'keyed requests to reach the original again',
      async () => (await ratings({ 'x-devlane-route': key })).copy === 'original',
    );
    assert.deepEqual(await ratings({ 'x-devlane-route': key }), original);
    assert.deepEqual(await ratings({ baggage: `devlane=${key}` }), original);
    await expectRestored(shop.namespace, before);
  });
});
