// Trace Route from the CLI, in a plain namespace (the Devlane router) and in a mesh namespace
// (Istio: the sandbox emulates it; the real cluster has no data plane, so there the session gets
// the router too): a session holds ratings, a probe enters through web (inferred when --entry is
// left out, or named through an Ingress); with every hop passing the key on the trace shows the
// whole path and exits 0, with catalog dropping the route headers (the demo's DROP_ROUTE_HEADERS) it
// names catalog → ratings and exits 4. The observe hops it puts in (in front of web and catalog;
// with Istio also in front of ratings and its copy's dev Service) are gone afterwards: the namespace
// equals its snapshot from before the trace, and steady un-keyed traffic to every Service that got
// a hop lost no request while they went in and out.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { expectedStrategy, needsCluster } from '../../helpers/cluster';
import { contexts, eventually, isSandbox, kubeconfig, kubectlJson, kubectlOk } from '../../helpers/kubectl';
import { REPO } from '../../helpers/sandbox';
import { createShop, type Shop } from '../../helpers/shop';
import { describeLoad, startLoad } from '../../helpers/load';
import { cli, expectRestored, snapshot, startClientPod } from '../../helpers/session';

/* eslint-disable @typescript-eslint/no-explicit-any */

/** An Ingress that sends /api to web and everything else to catalog. */
const shopIngress = (namespace: string) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'shop', namespace },
  spec: {
    rules: [
      {
        http: {
          paths: [
            { path: '/api', pathType: 'Prefix', backend: { service: { name: 'web', port: { name: 'http' } } } },
            { path: '/', pathType: 'Prefix', backend: { service: { name: 'catalog', port: { name: 'http' } } } },
          ],
        },
      },
    ],
  },
});

for (const istio of [false, true]) {
  describe(`devlane trace (${istio ? 'mesh namespace' : 'router'})`, needsCluster, () => {
    let shop: Shop;
    let session: string;
    let client: string;
    /** The dev Service of ratings' copy, where the session's key is sent. */
    let copyService: string;
    before(async () => {
      shop = await createShop(istio ? 'dl-trace-mesh' : 'dl-trace', { istio });
      client = await startClientPod(shop.namespace);
      // In the mesh namespace the strategy is Devlane's own choice (Istio where sidecars route).
      const strategy = istio ? [] : ['--strategy', 'router'];
      const start = cli(['-n', shop.namespace, 'start', 'ratings', ...strategy, '--detach', '--json']);
      assert.equal(start.code, 0, start.stderr);
      session = start.json.session;
      const record = kubectlJson(['get', 'configmap', `devlane-session-${session}`, '-n', shop.namespace]);
      const held = JSON.parse(record.data['session.json']).services as any[];
      assert.deepEqual(
        held.map((s) => s.strategy),
        [expectedStrategy(istio)],
      );
      copyService = held[0].devService;
    });
    after(() => {
      if (session) cli(['-n', shop.namespace, 'stop', session]);
      shop?.cleanup();
    });

    const trace = (...extra: string[]) =>
      cli(['-n', shop.namespace, 'trace', session, '--path', '/api/products', ...extra, '--json']);
    const calls = (r: any) => [
      ...new Set(
        (r.hops as any[]).map((h) => `${h.from}>${h.service}:${h.key ? 'key' : 'none'}${h.copy ? ':copy' : ''}`),
      ),
    ];

    it(
      'refuses bad input with what to do, and changes nothing',
      { skip: istio && 'once is enough (the router namespace)' },
      () => {
        const before = snapshot(shop.namespace);
        const none = cli(['-n', shop.namespace, 'trace', 'no-such-session', '--entry', 'web']);
        assert.equal(none.code, 1);
        assert.match(none.stderr, /Session "no-such-session" does not exist in namespace/);
        const noIngress = cli(['-n', shop.namespace, 'trace', session, '--entry', 'ingress/nope']);
        assert.equal(noIngress.code, 1);
        assert.match(noIngress.stderr, /Ingress nope does not exist in namespace [\s\S]*--entry with one of: .*web/);
        const badEntry = cli(['-n', shop.namespace, 'trace', session, '--entry', 'nope']);
        assert.equal(badEntry.code, 1);
        assert.match(badEntry.stderr, /Service nope does not exist .*[\s\S]*--entry with one of: .*catalog/);
        const badPath = cli(['-n', shop.namespace, 'trace', session, '--entry', 'web', '--path', "/it's"]);
        assert.equal(badPath.code, 1);
        assert.match(badPath.stderr, /Cannot send the probe to path/);
        assert.deepEqual(snapshot(shop.namespace), before, 'nothing was changed');
      },
    );

    it('every hop passes the key on: the whole path, the copy reached, exit 0, no un-keyed request failed, nothing left behind', async (t) => {
      const before = snapshot(shop.namespace);
      // Steady un-keyed traffic to every Service that gets an observe hop (each answers /healthz
      // itself; with Istio ratings gets one too), on keep-alive and on fresh connections, while the
      // hops go in and out.
      const hopped = expectedStrategy(istio) === 'istio' ? ['web', 'catalog', 'ratings'] : ['web', 'catalog'];
      const loads = Object.fromEntries(
        hopped.flatMap((svc) =>
          [false, true].map((fresh) => [
            `${svc}${fresh ? ', fresh connections' : ', keep-alive'}`,
            startLoad(shop.namespace, client, {
              url: `http://${svc}/healthz`,
              rate: 10,
              maxSeconds: 600,
              fresh,
              phase: 'during',
            }),
          ]),
        ),
      );
      let r: ReturnType<typeof trace>;
      try {
        // No --entry: the shop has no Ingress and no exposed Service, and only web is named by no other
        // workload's environment (web has CATALOG_URL=http://catalog, catalog RATINGS_URL=http://ratings).
        r = trace();
      } finally {
        for (const [name, load] of Object.entries(loads)) {
          const during = (await load.stop()).during;
          t.diagnostic(describeLoad(name, during));
          assert.deepEqual(
            during?.errors,
            {},
            `un-keyed requests to ${name} failed: ${JSON.stringify(during?.firstFailures)}`,
          );
          assert.ok((during?.ok ?? 0) > 0, `traffic to ${name} was answered during the trace`);
        }
      }
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      assert.equal(r.json.entryChoice.service, 'web');
      assert.match(r.json.entryChoice.reason, /no other workload in the namespace names/);
      assert.equal(r.json.ok, true);
      // catalog asks ratings and stock for each product: siblings, in no order that matters.
      assert.deepEqual(calls(r.json).slice(0, 2), ['probe>web:key', 'web>catalog:key']);
      assert.deepEqual(calls(r.json).slice(2).sort(), ['catalog>ratings:key:copy', 'catalog>stock:key']);
      assert.deepEqual(r.json.copies, [{ service: 'ratings', reached: true }]);
      assert.match(r.json.sentence, /reached the copy of ratings with the key/);
      await expectRestored(shop.namespace, before);
    });

    it('catalog drops the headers: names catalog → ratings, exit 4, nothing left behind', async (t) => {
      kubectlOk(['set', 'env', 'deployment/catalog', '-n', shop.namespace, 'DROP_ROUTE_HEADERS=1']);
      kubectlOk(['rollout', 'status', 'deployment/catalog', '-n', shop.namespace, '--timeout=180s']);
      await eventually(
        'the old catalog pod to be gone',
        () =>
          (kubectlJson(['get', 'pods', '-n', shop.namespace]).items as any[]).every(
            (p) => !p.metadata.deletionTimestamp,
          ),
        120_000,
      );
      const before = snapshot(shop.namespace);
      const r = trace('--entry', 'web');
      assert.equal(r.code, 4, `${r.stdout}\n${r.stderr}`);
      assert.equal(r.json.ok, false);
      assert.deepEqual(r.json.copies, [{ service: 'ratings', reached: false }]);
      assert.equal(r.json.dropped.from, 'catalog');
      assert.equal(r.json.dropped.to, 'ratings');
      // The sandbox's pods reach a Service through a local forwarder (the router sees loopback), so
      // there the caller is found by time; a real cluster keeps the caller pod's address.
      assert.equal(r.json.dropped.by, isSandbox() ? 'time' : 'address');
      t.diagnostic(r.json.sentence);
      assert.match(r.json.sentence, /^catalog received the key but called ratings without it/);
      assert.deepEqual(calls(r.json).slice(0, 2), ['probe>web:key', 'web>catalog:key']);
      assert.deepEqual(calls(r.json).slice(2).sort(), ['catalog>ratings:none', 'catalog>stock:none']);
      // Through an Ingress: the probe enters at the Service its rule sends the path to.
      kubectlOk(['apply', '-n', shop.namespace, '-f', '-'], { input: JSON.stringify(shopIngress(shop.namespace)) });
      const text = cli(['-n', shop.namespace, 'trace', session, '--entry', 'ingress/shop', '--path', '/api/products']);
      kubectlOk(['delete', 'ingress', 'shop', '-n', shop.namespace]);
      assert.equal(text.code, 4, `${text.stdout}\n${text.stderr}`);
      assert.match(text.stdout, /entering through web:/);
      assert.match(
        text.stdout,
        // A chain in the order the calls came in: catalog's two calls may come either way round.
        /^Ingress shop → web \(key ✓\) → catalog \(key ✓\) → (ratings \(key ✗\) → stock|stock \(key ✗\) → ratings) \(key ✗\) → ratings copy \(not reached\)$/m,
      );
      assert.match(text.stdout, /catalog → ratings {2}key ✗/);
      assert.match(text.stdout, /catalog → stock {2}key ✗/);
      assert.match(text.stdout, /ratings copy: not reached/);
      assert.match(text.stdout, /catalog received the key but called ratings without it/);
      await expectRestored(shop.namespace, before);
    });

    it('a trace that dies mid-way: its Lease expires and gc takes its observe hops out', async () => {
      const before = snapshot(shop.namespace);
      const child = spawn(
        process.execPath,
        [
          join(REPO, 'dist/cli.js'),
          ...['--kubeconfig', kubeconfig(), '--context', contexts.alice, '-n', shop.namespace],
          ...['trace', session, '--entry', 'web', '--path', '/api/products'],
        ],
        { stdio: 'ignore' },
      );
      const exited = new Promise((resolve) => child.once('exit', resolve));
      try {
        await eventually(
          'the trace to have switched web to an observe hop',
          () => {
            const web = kubectlJson(['get', 'service', 'web', '-n', shop.namespace]);
            return web.spec.selector?.['devlane.dev/role'] === 'router';
          },
          180_000,
        );
      } finally {
        child.kill('SIGKILL');
        await exited;
      }
      const record = kubectlJson(['get', 'configmap', `devlane-session-${session}`, '-n', shop.namespace]);
      const state = JSON.parse(record.data['session.json']);
      assert.ok(
        state.services.some((s: any) => s.observe && s.service === 'web'),
        'the hop is in the undo log before it is put in',
      );
      if (expectedStrategy(istio) === 'istio')
        assert.ok(
          state.services.some((s: any) => s.observe && s.service === copyService),
          "the hop in front of the copy's dev Service is in the undo log too",
        );
      const gc = cli(['-n', shop.namespace, 'gc', '--yes'], contexts.alice, 400_000);
      assert.equal(gc.code, 0, gc.stderr);
      assert.match(gc.stdout, /gave back what .*\.trace held/);
      await expectRestored(shop.namespace, before);
    });
  });
}
