// The Gateway API strategy, on the sandbox and on a real Kubernetes cluster (test/helpers/target.ts):
// the session's rules are added to the HTTPRoute that routes to the Service (server-side validated,
// dry-run first), and stop leaves the HTTPRoute exactly as it was. The sandbox stores and validates
// HTTPRoutes but routes no traffic by them (it has no Gateway), so this checks what the cluster
// holds, not where requests go.
import assert from 'node:assert/strict';
import { setMaxListeners } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { KubeClusters } from '../../../src/cluster/clusters';
import { Sessions } from '../../../src/session/sessions';
import { kubeconfigPath, MemoryLogger, needsCluster } from '../../helpers/cluster';
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
      const clusters = new KubeClusters(
        { setting: () => kubeconfigPath, env: {} },
        { logger: new MemoryLogger(), idleMs: 0 },
      );
      // As alice, bound to exactly the shipped Role (sandbox/demo/manifests/rbac.yaml), which grants httproutes.
      const conn = clusters.connection(contexts.alice);
      const sessions = new Sessions({
        api: conn.objects,
        context: contexts.alice,
        namespace: shop.namespace,
        participant: 'alice',
        logger: new MemoryLogger(),
      });
      const signal = AbortSignal.timeout(240_000);
      setMaxListeners(200, signal);
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
