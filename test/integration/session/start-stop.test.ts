// The vertical slice: the CLI starts a session on ratings, a keyed request through web → catalog
// reaches the copy and an un-keyed one the original, and stop leaves the namespace as it was; in a
// mesh namespace (Istio routing) and a plain one (the Devlane router).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defaultSessionName } from '../../../src/core/session/names';
import { needsCluster, expectedStrategy, needsMesh } from '../../helpers/cluster';
import { contexts } from '../../helpers/kubectl';
import { createShop, type Shop } from '../../helpers/shop';
import {
  chain,
  cli,
  cliOnTerminal,
  expectRestored,
  needsTerminal,
  snapshot,
  startClientPod,
} from '../../helpers/session';

for (const istio of [false, true]) {
  describe(`session start/stop with the CLI (${istio ? 'istio' : 'router'})`, istio ? needsMesh : needsCluster, () => {
    let shop: Shop;
    let client: string;
    before(async () => {
      shop = await createShop(istio ? 'dl-ss-mesh' : 'dl-ss-plain', { istio });
      client = await startClientPod(shop.namespace);
    });
    after(() => shop?.cleanup());

    it('routes only keyed requests to the copy, and stop restores every object', async (t) => {
      const before = snapshot(shop.namespace);
      const start = cli(['-n', shop.namespace, 'start', 'ratings', '--detach', '--json']);
      assert.equal(start.code, 0, start.stderr);
      const { session, routeKey, strategy } = start.json;
      // A failure below must not leave the session for the next test to find.
      t.after(() => void cli(['-n', shop.namespace, 'stop', session]));
      assert.equal(session, defaultSessionName('alice', 'ratings'), 'named after the user the cluster authenticates');
      assert.equal(strategy, expectedStrategy(istio));
      assert.match(routeKey, /^[A-Za-z0-9_-]{32}$/);

      assert.equal(
        chain(shop.namespace, client, { 'x-devlane-route': routeKey }),
        `web=original catalog=original ratings=devlane:${session}`,
      );
      assert.equal(
        chain(shop.namespace, client, { baggage: `userId=7, devlane=${routeKey};ttl=3,other=x` }),
        `web=original catalog=original ratings=devlane:${session}`,
      );
      assert.equal(chain(shop.namespace, client), 'web=original catalog=original ratings=original');

      const listed = cli(['-n', shop.namespace, 'sessions', '--json']);
      assert.equal(listed.code, 0, listed.stderr);
      assert.deepEqual(
        listed.json.map((s: { name: string }) => s.name),
        [session],
      );

      const stop = cli(['-n', shop.namespace, 'stop', session]);
      assert.equal(stop.code, 0, stop.stderr);
      await expectRestored(shop.namespace, before);
      assert.equal(chain(shop.namespace, client), 'web=original catalog=original ratings=original');
    });

    it(
      'shows the plan on a production-looking context and refuses without --yes when stdin is not a terminal',
      { skip: istio ? 'once is enough (the router namespace)' : false },
      async () => {
        const before = snapshot(shop.namespace);
        const prod = ['--production-contexts', `other-*, ${contexts.alice}`];
        const refused = cli(['-n', shop.namespace, ...prod, 'start', 'ratings', '--detach', '--session', 'prod-check']);
        assert.equal(refused.code, 3, refused.stderr);
        assert.match(refused.stderr, /Session "prod-check" on service .*\/ratings/);
        assert.match(refused.stderr, /Point Service ratings at the router/);
        assert.match(refused.stderr, /stdin is not a terminal[\s\S]*--yes/);
        assert.deepEqual(snapshot(shop.namespace), before, 'nothing was created');

        const confirmed = cli([
          '-n',
          shop.namespace,
          ...prod,
          'start',
          'ratings',
          '--detach',
          '--session',
          'prod-check',
          '--yes',
          '--json',
        ]);
        assert.equal(confirmed.code, 0, confirmed.stderr);
        assert.match(confirmed.stderr, /Session "prod-check" on service/, 'the plan is shown even with --yes');
        assert.equal(confirmed.json.session, 'prod-check');
        const stop = cli(['-n', shop.namespace, 'stop', 'prod-check']);
        assert.equal(stop.code, 0, stop.stderr);
        await expectRestored(shop.namespace, before);
      },
    );

    it(
      'asks on a terminal in a production-looking context: "n" creates nothing, "y" applies the plan',
      { skip: istio ? 'once is enough (the router namespace)' : needsTerminal() },
      async (t) => {
        const before = snapshot(shop.namespace);
        // Whatever fails below, no session is left for the next test.
        t.after(() => void cli(['-n', shop.namespace, 'stop', 'prod-tty']));
        const args = [
          '-n',
          shop.namespace,
          '--production-contexts',
          contexts.alice,
          'start',
          'ratings',
          '--detach',
          '--session',
          'prod-tty',
        ];
        const declined = cliOnTerminal(args, 'n\n');
        assert.match(
          declined.output,
          /Point Service ratings at the router[\s\S]*Apply this plan\? \[y\/N\]/,
          'the plan, then the question',
        );
        assert.match(declined.output, /The plan was not confirmed\. Nothing was created\./);
        assert.equal(declined.code, 3, declined.output);
        assert.deepEqual(snapshot(shop.namespace), before, 'declining left the namespace as it was');

        const accepted = cliOnTerminal(args, 'y\n');
        try {
          assert.equal(accepted.code, 0, accepted.output);
          assert.match(accepted.output, /Apply this plan\? \[y\/N\]/);
          const listed = cli(['-n', shop.namespace, 'sessions', '--json']);
          assert.deepEqual(
            listed.json?.map((s: { name: string }) => s.name),
            ['prod-tty'],
            'the answer "y" started the session: the question is what decides',
          );
        } finally {
          const stop = cli(['-n', shop.namespace, 'stop', 'prod-tty']);
          assert.equal(stop.code, 0, stop.stderr);
        }
        await expectRestored(shop.namespace, before);
      },
    );
  });
}
