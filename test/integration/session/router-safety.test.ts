// The router must never take the original Service down: a start is refused, and everything put
// back, when NetworkPolicies would drop the router's traffic or the router cannot reach the
// original pods; a developer copy deleted behind Devlane's back fails only its own key's requests,
// even in router pods started after it was gone; the router has a disruption budget its session
// records own, and stop removes it. A Service with a UDP or SCTP port, which nginx's TCP listeners
// cannot carry, is refused with the port named, and nothing is created.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { needsCluster } from '../../helpers/cluster';
import { contexts, createShop, type Shop } from '../../helpers/shop';
import {
  cli,
  eventually,
  getFromPod,
  kubectlJson,
  kubectlOk,
  expectRestored,
  snapshot,
  startClientPod,
} from '../../helpers/session';

/* eslint-disable @typescript-eslint/no-explicit-any */

describe('the router never takes the original Service down', needsCluster, () => {
  let shop: Shop;
  let client: string;
  before(async () => {
    shop = await createShop('dl-rsafe', { istio: false });
    client = await startClientPod(shop.namespace);
  });
  after(() => shop?.cleanup());

  const rating = (headers: Record<string, string> = {}) =>
    getFromPod(shop.namespace, client, 'http://ratings/ratings/p-1', headers);

  it('plans the router to come up while the copy does, with the image asked for', () => {
    const before = snapshot(shop.namespace);
    // A production-looking context prints the plan and, with no terminal to confirm it, stops there.
    const shown = cli([
      '-n',
      shop.namespace,
      '--production-contexts',
      contexts.alice,
      'start',
      'ratings',
      '--session',
      'plan',
      '--detach',
      '--strategy',
      'router',
      '--router-image',
      'mirror.example.com/library/nginx:1.27',
    ]);
    assert.equal(shown.code, 3, shown.stderr);
    const steps = shown.stderr.split('\n');
    const at = (re: RegExp) => steps.findIndex((l) => re.test(l));
    assert.ok(
      at(
        /Create Deployment ratings-devlane-router \(nginx, 2 replicas, image mirror\.example\.com\/library\/nginx:1\.27\)/,
      ) >= 0,
      shown.stderr,
    );
    assert.ok(at(/Create PodDisruptionBudget ratings-devlane-router/) >= 0, shown.stderr);
    assert.ok(
      at(/Create Deployment ratings-devlane-router/) < at(/Wait for ratings-dl-plan to be Ready/),
      'the router is created before the copy is waited for',
    );
    assert.ok(
      at(/Wait for the router to be Ready/) < at(/Check that un-keyed requests through the router reach/),
      shown.stderr,
    );
    assert.ok(
      at(/Check that un-keyed requests through the router reach/) < at(/Point Service ratings at the router/),
      'the proof comes before the switch',
    );
    assert.ok(
      at(/Point Service ratings at the router/) < at(/Wait for ratings-dl-plan to be Ready/),
      'a new session routes while its copy starts',
    );
    assert.deepEqual(snapshot(shop.namespace), before, 'nothing was created');
  });

  for (const protocol of ['UDP', 'SCTP']) {
    it(`refuses a Service with a ${protocol} port, naming it, and creates nothing`, async () => {
      const name = `mixed-${protocol.toLowerCase()}`;
      const objects = [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name, namespace: shop.namespace },
          spec: {
            replicas: 1,
            selector: { matchLabels: { app: name } },
            template: {
              metadata: { labels: { app: name } },
              spec: {
                terminationGracePeriodSeconds: 1,
                containers: [
                  {
                    name: 'app',
                    image: 'node:20',
                    command: ['node', '-e', "require('http').createServer((q, s) => s.end('ok')).listen(8080)"],
                    ports: [{ name: 'http', containerPort: 8080 }],
                  },
                ],
              },
            },
          },
        },
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name, namespace: shop.namespace },
          spec: {
            selector: { app: name },
            ports: [
              { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
              { name: 'stats', port: 8125, targetPort: 8125, protocol },
            ],
          },
        },
      ];
      kubectlOk(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) });
      try {
        await eventually(
          `deployment ${name} to be ready`,
          () => (kubectlJson(['get', 'deployment', name, '-n', shop.namespace]).status?.readyReplicas ?? 0) >= 1,
          120_000,
        );
        const before = snapshot(shop.namespace);
        const start = cli([
          '-n',
          shop.namespace,
          'start',
          name,
          '--session',
          'proto',
          '--detach',
          '--strategy',
          'router',
        ]);
        assert.equal(start.code, 1, `the start was refused: ${start.stderr}`);
        assert.match(
          start.stderr,
          new RegExp(`Service ${name} has a ${protocol} port \\(stats\\); the Devlane router carries TCP only`),
        );
        assert.match(start.stderr, /Nothing was created/);
        assert.deepEqual(snapshot(shop.namespace), before, 'nothing was created');
      } finally {
        cli(['-n', shop.namespace, 'stop', 'proto']); // a start that was wrongly allowed leaves no session behind
        kubectlOk(['delete', 'deployment,service', name, '-n', shop.namespace, '--wait=true']);
        // Its pod too, so that the next test's snapshot does not catch it terminating.
        await eventually(
          `the pods of ${name} to be gone`,
          () => kubectlJson(['get', 'pods', '-n', shop.namespace, '-l', `app=${name}`]).items.length === 0,
          120_000,
        );
      }
    });
  }

  it('refuses, naming the policy, when a NetworkPolicy admits only web to ratings', async () => {
    const policy = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'ratings-from-catalog', namespace: shop.namespace },
      spec: {
        podSelector: { matchLabels: { app: 'ratings' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: 'catalog' } } }] }],
      },
    };
    kubectlOk(['apply', '-f', '-'], { input: JSON.stringify(policy) });
    try {
      const before = snapshot(shop.namespace);
      const start = cli([
        '-n',
        shop.namespace,
        'start',
        'ratings',
        '--session',
        'netpol',
        '--detach',
        '--strategy',
        'router',
      ]);
      assert.notEqual(start.code, 0, 'the start was refused');
      assert.match(
        start.stderr,
        new RegExp(
          `NetworkPolicy ${shop.namespace}/ratings-from-catalog selects the original pods and no rule admits the router pods on port 8080 \\(http\\)`,
        ),
      );
      assert.match(start.stderr, /Nothing was created/);
      assert.deepEqual(snapshot(shop.namespace), before, 'nothing was created');
    } finally {
      kubectlOk(['delete', 'networkpolicy', 'ratings-from-catalog', '-n', shop.namespace]);
    }
  });

  it('refuses and puts everything back when the router cannot reach the original pods', async () => {
    // The Service targets a port its pods do not listen on: nothing behind the origin answers.
    const svc = kubectlJson(['get', 'service', 'ratings', '-n', shop.namespace]);
    kubectlOk([
      'patch',
      'service',
      'ratings',
      '-n',
      shop.namespace,
      '--type=json',
      '-p',
      JSON.stringify([{ op: 'replace', path: '/spec/ports/0/targetPort', value: 9999 }]),
    ]);
    try {
      const before = snapshot(shop.namespace);
      const start = cli([
        '-n',
        shop.namespace,
        'start',
        'ratings',
        '--session',
        'unreach',
        '--detach',
        '--strategy',
        'router',
      ]);
      assert.notEqual(start.code, 0, 'the start was refused');
      assert.match(
        start.stderr,
        /The router cannot reach the original pods of Service .*\/ratings: router pod ratings-devlane-router-\S+ could not connect to Service ratings-devlane-origin port 80/,
      );
      assert.match(start.stderr, /Everything it had changed was put back/);
      await expectRestored(shop.namespace, before);
      assert.deepEqual(
        kubectlJson(['get', 'service', 'ratings', '-n', shop.namespace]).spec.selector,
        svc.spec.selector,
        'the Service still selects the original pods',
      );
    } finally {
      cli(['-n', shop.namespace, 'stop', 'unreach']);
      kubectlOk([
        'patch',
        'service',
        'ratings',
        '-n',
        shop.namespace,
        '--type=json',
        '-p',
        JSON.stringify([{ op: 'replace', path: '/spec/ports/0/targetPort', value: svc.spec.ports[0].targetPort }]),
      ]);
    }
  });

  it('serves un-keyed requests from new router pods after the copy was deleted behind its back', async () => {
    const before = snapshot(shop.namespace);
    const start = cli([
      '-n',
      shop.namespace,
      'start',
      'ratings',
      '--session',
      'gone',
      '--detach',
      '--strategy',
      'router',
      '--json',
    ]);
    assert.equal(start.code, 0, start.stderr);
    const { routeKey } = start.json;
    assert.equal(rating({ 'x-devlane-route': routeKey }).body.copy, 'devlane:gone');

    const record = kubectlJson(['get', 'configmap', 'devlane-session-gone', '-n', shop.namespace]);
    const pdb = kubectlJson(['get', 'poddisruptionbudget', 'ratings-devlane-router', '-n', shop.namespace]);
    assert.equal(pdb.spec.minAvailable, 1);
    assert.deepEqual(
      pdb.metadata.ownerReferences.map((o: any) => o.uid),
      [record.metadata.uid],
      'the session record owns the budget',
    );
    const router = kubectlJson(['get', 'deployment', 'ratings-devlane-router', '-n', shop.namespace]);
    assert.ok(
      router.spec.template.spec.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length,
      'router pods prefer different nodes',
    );

    // The copy and its Service go away without Devlane (a node drain, a cleanup script), and the
    // router pods are replaced afterwards: they must start with a config that names a Service that is gone.
    kubectlOk(['delete', 'deployment,service', '-n', shop.namespace, '-l', 'devlane.dev/session=gone', '--wait=true']);
    const oldPods = new Set(
      (kubectlJson(['get', 'pods', '-n', shop.namespace, '-l', 'devlane.dev/role=router']).items as any[]).map(
        (p) => p.metadata.name,
      ),
    );
    kubectlOk(['delete', 'pods', '-n', shop.namespace, '-l', 'devlane.dev/role=router', '--wait=false']);
    await eventually(
      'two new router pods to be Ready',
      () => {
        const pods = (
          kubectlJson(['get', 'pods', '-n', shop.namespace, '-l', 'devlane.dev/role=router']).items as any[]
        ).filter((p) => !oldPods.has(p.metadata.name) && !p.metadata.deletionTimestamp);
        return (
          pods.length === 2 &&
          pods.every((p) => p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'))
        );
      },
      120_000,
    );

    const plain = rating();
    assert.equal(plain.status, 200);
    assert.equal(plain.body.copy, 'original');
    const keyed = rating({ 'x-devlane-route': routeKey });
    assert.equal(keyed.status, 502);
    assert.match(
      String(keyed.body),
      /Devlane router: no answer from the developer copy of session gone \(Service ratings-dl-gone\)/,
    );

    const stop = cli(['-n', shop.namespace, 'stop', 'gone']);
    assert.equal(stop.code, 0, stop.stderr);
    await expectRestored(shop.namespace, before);
    assert.equal(rating().body.copy, 'original');
  });
});
