// Sessions against a cluster, through the same code the editor and CLI use: isolation of several
// sessions through the three-service chain, join and ownership between alice and bob, a start that
// fails half-way, a client that dies (its Lease expires and gc restores everything), Clean Up of one
// session where only one participant's Lease expired, and RBAC.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KubeClusters } from '../../../src/cluster/clusters';
import { SessionError } from '../../../src/core/session/errors';
import { Sessions } from '../../../src/session/sessions';
import { kubeconfigPath, MemoryLogger, needsCluster, until, needsMesh } from '../../helpers/cluster';
import { contexts, kubectlOk } from '../../helpers/kubectl';
import { chain, expectRestored, snapshot, startClientPod } from '../../helpers/session';
import { createShop, type Shop } from '../../helpers/shop';

function sessionsAs(
  context: string,
  namespace: string,
  extra: Partial<ConstructorParameters<typeof Sessions>[0]> = {},
) {
  const clusters = new KubeClusters(
    { setting: () => kubeconfigPath, env: {} },
    { logger: new MemoryLogger(), idleMs: 0 },
  );
  const conn = clusters.connection(context);
  const s = new Sessions({
    api: conn.objects,
    context,
    namespace,
    participant: conn.context.user,
    logger: new MemoryLogger(),
    ...extra,
  });
  return { s, clusters };
}
const signal = () => AbortSignal.timeout(240_000);

for (const istio of [false, true]) {
  describe(`sessions (${istio ? 'istio' : 'router'})`, istio ? needsMesh : needsCluster, () => {
    let shop: Shop;
    let client: string;
    before(async () => {
      shop = await createShop(istio ? 'dl-s-mesh' : 'dl-s-plain', { istio });
      client = await startClientPod(shop.namespace);
    });
    after(() => shop?.cleanup());

    it('isolates two sessions on one service and a third on another, through the chain', async () => {
      const before = snapshot(shop.namespace);
      const alice = sessionsAs(contexts.alice, shop.namespace);
      const bob = sessionsAs(contexts.bob, shop.namespace);
      try {
        const a = await alice.s.start({ service: 'ratings', session: 'a-ratings' }, signal());
        const b = await bob.s.start({ service: 'ratings', session: 'b-ratings' }, signal());
        const c = await alice.s.start({ service: 'catalog', session: 'c-catalog' }, signal());
        const expect = (headers: Record<string, string>, want: string) =>
          assert.equal(chain(shop.namespace, client, headers), want, JSON.stringify(headers));
        expect({ 'x-devlane-route': a.routeKey }, 'web=original catalog=original ratings=devlane:a-ratings');
        expect({ baggage: `x=1,devlane=${b.routeKey}` }, 'web=original catalog=original ratings=devlane:b-ratings');
        expect({ 'x-devlane-route': c.routeKey }, 'web=original catalog=devlane:c-catalog ratings=original');
        expect({}, 'web=original catalog=original ratings=original');
        expect(
          { baggage: 'devlane=SomeoneElsesKeyThatIsLongEnough12' },
          'web=original catalog=original ratings=original',
        );
        for (const r of [a, b, c]) r.heartbeat.dispose();
        await alice.s.stop('a-ratings', signal());
        expect({ baggage: `devlane=${b.routeKey}` }, 'web=original catalog=original ratings=devlane:b-ratings');
        expect({ 'x-devlane-route': a.routeKey }, 'web=original catalog=original ratings=original');
        await bob.s.stop('b-ratings', signal());
        await alice.s.stop('c-catalog', signal());
      } finally {
        alice.clusters.dispose();
        bob.clusters.dispose();
      }
      await expectRestored(shop.namespace, before);
    });

    it("lets bob join alice's session and take over another service, but not hers", async () => {
      const before = snapshot(shop.namespace);
      const said: { alice: string[]; bob: string[] } = { alice: [], bob: [] };
      const alice = sessionsAs(contexts.alice, shop.namespace, { report: (m) => said.alice.push(m) });
      const bob = sessionsAs(contexts.bob, shop.namespace, { report: (m) => said.bob.push(m) });
      const order = (lines: string[], first: RegExp, then: RegExp) => {
        const [i, j] = [lines.findIndex((l) => first.test(l)), lines.findIndex((l) => then.test(l))];
        return i >= 0 && j >= 0 && i < j;
      };
      try {
        const a = await alice.s.start({ service: 'ratings', session: 'pair' }, signal());
        await assert.rejects(
          bob.s.start({ service: 'catalog', session: 'pair' }, signal()),
          (e: unknown) => e instanceof SessionError && /Join it first/.test(e.hint),
        );
        const joined = await bob.s.join('pair', signal());
        assert.equal(joined.routeKey, a.routeKey);
        await assert.rejects(
          bob.s.start({ service: 'ratings', session: 'pair' }, signal()),
          (e: unknown) => e instanceof SessionError && e.code === 'held' && /by alice/.test(e.message),
        );
        const b = await bob.s.start({ service: 'catalog', session: 'pair' }, signal());
        assert.equal(
          chain(shop.namespace, client, { 'x-devlane-route': a.routeKey }),
          'web=original catalog=devlane:pair ratings=devlane:pair',
        );
        if (!istio) {
          // A new key is routed while the copy starts (nobody holds it yet); in a session whose key
          // is in use, the route waits for the copy to be Ready.
          assert.ok(
            order(said.alice, /Route session pair's key to ratings-dl-pair/, /Wait for ratings-dl-pair to be Ready/),
            said.alice.join('\n'),
          );
          assert.ok(
            order(said.bob, /Wait for catalog-dl-pair to be Ready/, /Route session pair's key to catalog-dl-pair/),
            said.bob.join('\n'),
          );
        }
        const listed = await alice.s.list(signal());
        assert.deepEqual(listed[0].services.map((s) => `${s.service}:${s.owner}`).sort(), [
          'catalog:bob',
          'ratings:alice',
        ]);
        // Leaving gives back what bob took over; alice's copy keeps getting the session's requests.
        assert.deepEqual(await bob.s.leave('pair', signal()), { ended: false });
        assert.equal(
          chain(shop.namespace, client, { 'x-devlane-route': a.routeKey }),
          'web=original catalog=original ratings=devlane:pair',
        );
        a.heartbeat.dispose();
        joined.heartbeat.dispose();
        b.heartbeat.dispose();
        assert.deepEqual(await alice.s.leave('pair', signal()), { ended: true });
      } finally {
        alice.clusters.dispose();
        bob.clusters.dispose();
      }
      await expectRestored(shop.namespace, before);
    });

    it('rolls back a start that fails half-way and says what failed', async () => {
      const before = snapshot(shop.namespace);
      const alice = sessionsAs(contexts.alice, shop.namespace);
      try {
        await assert.rejects(
          alice.s.start(
            { service: 'ratings', session: 'broken', image: 'no-such-registry.invalid/nothing:1' },
            signal(),
          ),
          (e: unknown) => {
            assert.ok(e instanceof SessionError, String(e));
            assert.match(e.message, /Wait for ratings-dl-broken to be Ready/);
            assert.match(e.message, /put back/);
            return true;
          },
        );
      } finally {
        alice.clusters.dispose();
      }
      await expectRestored(shop.namespace, before);
    });

    it('Clean Up of one session: refuses while everyone renews, then gives back only what the expired participant held', async () => {
      const before = snapshot(shop.namespace);
      const alice = sessionsAs(contexts.alice, shop.namespace, { leaseSeconds: 2, renewEveryMs: 500 });
      const bob = sessionsAs(contexts.bob, shop.namespace);
      try {
        const a = await alice.s.start({ service: 'ratings', session: 'part' }, signal());
        const joined = await bob.s.join('part', signal());
        const b = await bob.s.start({ service: 'catalog', session: 'part' }, signal());
        await assert.rejects(
          bob.s.collect('part', signal()),
          (e: unknown) => e instanceof SessionError && /renews their Lease again/.test(e.message),
        );
        assert.equal(
          chain(shop.namespace, client, { 'x-devlane-route': a.routeKey }),
          'web=original catalog=devlane:part ratings=devlane:part',
          'a refused Clean Up changed nothing',
        );
        // alice's editor goes away: nothing renews her Lease any more.
        a.heartbeat.dispose();
        alice.clusters.dispose();
        const collected = await until(
          "Clean Up to see alice's Lease expired",
          () => bob.s.collect('part', signal()),
          90_000,
        );
        assert.deepEqual(collected, { done: 'gave back what alice held in session part', refused: [] });
        assert.equal(
          chain(shop.namespace, client, { 'x-devlane-route': a.routeKey }),
          'web=original catalog=devlane:part ratings=original',
          "ratings is given back; bob's copy of catalog keeps the session's requests",
        );
        const [listed] = await bob.s.list(signal());
        assert.deepEqual(
          listed.participants.map((p) => p.name),
          ['bob'],
        );
        joined.heartbeat.dispose();
        b.heartbeat.dispose();
        assert.deepEqual(await bob.s.leave('part', signal()), { ended: true });
      } finally {
        alice.clusters.dispose();
        bob.clusters.dispose();
      }
      await expectRestored(shop.namespace, before);
    });

    it('restores everything after a client died, once gc sees its expired Lease', async () => {
      const before = snapshot(shop.namespace);
      const dying = sessionsAs(contexts.alice, shop.namespace, { leaseSeconds: 2, renewEveryMs: 500 });
      const r = await dying.s.start({ service: 'ratings', session: 'crashed' }, signal());
      // The client "dies": nothing renews its Lease any more.
      r.heartbeat.dispose();
      dying.clusters.dispose();
      const other = sessionsAs(contexts.bob, shop.namespace);
      try {
        await until(
          'gc to collect the session',
          async () => {
            const done = await other.s.gc(signal());
            return done.some((d) => d.includes('stopped session crashed'));
          },
          90_000,
        );
      } finally {
        other.clusters.dispose();
      }
      await expectRestored(shop.namespace, before);
    });
  });
}

describe('session RBAC', needsCluster, () => {
  let shop: Shop;
  before(async () => {
    shop = await createShop('dl-rbac', { istio: false });
  });
  after(() => shop?.cleanup());

  it('refuses a user missing one permission, names it, and creates nothing', async () => {
    // bob gets a Role without "delete deployments" instead of the shipped one.
    kubectlOk(['delete', 'rolebinding', 'devlane-developer', '-n', shop.namespace]);
    kubectlOk([
      'create',
      'rolebinding',
      'devlane-developer',
      '-n',
      shop.namespace,
      '--clusterrole=devlane-developer',
      '--user=alice',
    ]);
    const role = kubectlOk(['get', 'clusterrole', 'devlane-developer', '-o', 'json']);
    const rules = JSON.parse(role).rules.map((r: { apiGroups: string[]; resources: string[]; verbs: string[] }) =>
      r.apiGroups.includes('apps') && r.resources.includes('deployments')
        ? { ...r, verbs: r.verbs.filter((v) => v !== 'delete') }
        : r,
    );
    kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'reduced', namespace: shop.namespace },
        rules,
      }),
    });
    kubectlOk(['create', 'rolebinding', 'reduced', '-n', shop.namespace, '--role=reduced', '--user=bob']);
    const before = snapshot(shop.namespace);
    const bob = sessionsAs(contexts.bob, shop.namespace);
    try {
      await assert.rejects(bob.s.start({ service: 'ratings' }, signal()), (e: unknown) => {
        assert.ok(e instanceof SessionError && e.code === 'forbidden', String(e));
        assert.match(e.message, /Nothing was created/);
        assert.match(e.message, /delete deployments\.apps in namespace/);
        assert.equal((e.details.missing as unknown[]).length, 1);
        assert.match(e.hint, /kind: Role[\s\S]*resources: \[deployments\][\s\S]*verbs: \[delete\]/);
        return true;
      });
    } finally {
      bob.clusters.dispose();
    }
    assert.deepEqual(snapshot(shop.namespace), before);
  });
});
