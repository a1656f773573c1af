import assert from 'node:assert/strict';
import * as http from 'node:http';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { startControllers } from '../../../../sandbox/controllers/index';
import { ApiError, type KObject } from '../../../../sandbox/core/types';
import { startServiceNetwork, type ServiceNetworkHandle } from '../../../../sandbox/net/services';
import { eventually, newStore } from '../controllers/fixtures';
import { FakePods, get, runPod, setReady, tcpExchange, tempDir } from './fixtures';

const octet = 100 + Math.floor(Math.random() * 150);
const podIp = (n: number) => `127.${octet}.0.${n}`;

function svc(ns: string, name: string, spec: Record<string, unknown>): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns },
    spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }], ...spec },
  };
}

function invalid(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  assert.fail('expected an ApiError');
}

describe('Service network', () => {
  const store = newStore('plain', 'alloc');
  store.create('namespaces', undefined, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } },
  });
  const pods = new FakePods();
  const dir = tempDir();
  let network: ServiceNetworkHandle;
  let controllers: { stop(): void };

  before(async () => {
    network = await startServiceNetwork({ store, stateDir: dir.path, block: { octet }, pods, log: () => {} });
    controllers = startControllers(store, { log: () => {} });
  });
  after(async () => {
    controllers.stop();
    await network.stop();
    await pods.close();
    dir.remove();
  });

  const ipOf = (ns: string, name: string) => store.get('services', ns, name).spec.clusterIP as string;
  const listening = (ns: string, name: string, port = 80) =>
    eventually(
      () => network.ports().find((p) => p.namespace === ns && p.service === name && p.port === port),
      `proxy for ${ns}/${name}:${port}`,
    );

  describe('ClusterIP allocation', () => {
    it('allocates from the block, keeps the first address for default/kubernetes, and honours a free requested address', () => {
      const a = store.create('services', 'alloc', svc('alloc', 'a', {}));
      assert.equal(a.spec.clusterIP, `127.${octet}.128.2`);
      assert.deepEqual(a.spec.clusterIPs, [a.spec.clusterIP]);
      assert.deepEqual(a.spec.ipFamilies, ['IPv4']);
      assert.equal(a.spec.ipFamilyPolicy, 'SingleStack');
      const k = store.create(
        'services',
        'default',
        svc('default', 'kubernetes', { ports: [{ name: 'https', port: 443 }] }),
      );
      assert.equal(k.spec.clusterIP, `127.${octet}.128.1`);
      const b = store.create('services', 'alloc', svc('alloc', 'b', { clusterIP: `127.${octet}.200.7` }));
      assert.equal(b.spec.clusterIP, `127.${octet}.200.7`);
      const h = store.create('services', 'alloc', svc('alloc', 'h', { clusterIP: 'None' }));
      assert.deepEqual(h.spec.clusterIPs, ['None']);
    });

    it('refuses an allocated or out-of-range address with the real messages, and frees addresses on delete', () => {
      const taken = `127.${octet}.200.7`;
      const e1 = invalid(() => store.create('services', 'alloc', svc('alloc', 'c', { clusterIP: taken })));
      assert.equal(e1.code, 422);
      assert.equal(
        e1.message,
        `Service "c" is invalid: spec.clusterIPs: Invalid value: ["${taken}"]: failed to allocate IP ${taken}: provided IP is already allocated`,
      );
      const e2 = invalid(() => store.create('services', 'alloc', svc('alloc', 'c', { clusterIP: '10.0.0.1' })));
      assert.equal(
        e2.message,
        `Service "c" is invalid: spec.clusterIPs: Invalid value: ["10.0.0.1"]: failed to allocate IP 10.0.0.1: the provided IP (10.0.0.1) is not in the valid range. The range of valid IPs is 127.${octet}.128.0/17`,
      );
      assert.equal(store.tryGet('services', 'alloc', 'c'), undefined);
      store.delete('services', 'alloc', 'b');
      assert.equal(store.create('services', 'alloc', svc('alloc', 'c', { clusterIP: taken })).spec.clusterIP, taken);
    });

    it('keeps clusterIP on updates that omit it and refuses to change it', () => {
      const a = store.get('services', 'alloc', 'a');
      const kept = store.update('services', 'alloc', {
        ...a,
        spec: { ...a.spec, clusterIP: undefined, clusterIPs: undefined, selector: { x: 'y' } },
      });
      assert.equal(kept.spec.clusterIP, a.spec.clusterIP);
      const e = invalid(() =>
        store.update('services', 'alloc', {
          ...kept,
          spec: { ...kept.spec, clusterIP: `127.${octet}.130.1`, clusterIPs: [`127.${octet}.130.1`] },
        }),
      );
      assert.equal(e.code, 422);
      assert.equal(
        e.message,
        `Service "a" is invalid: spec.clusterIPs[0]: Invalid value: ["127.${octet}.130.1"]: may not change once set`,
      );
    });

    it('allocates node ports for NodePort Services and refuses taken ones', () => {
      const n = store.create('services', 'alloc', svc('alloc', 'np', { type: 'NodePort' }));
      const port = n.spec.ports[0].nodePort;
      assert.ok(port >= 30000 && port <= 32767, String(port));
      const e = invalid(() =>
        store.create(
          'services',
          'alloc',
          svc('alloc', 'np2', { type: 'NodePort', ports: [{ port: 80, nodePort: port }] }),
        ),
      );
      assert.equal(
        e.message,
        `Service "np2" is invalid: spec.ports[0].nodePort: Invalid value: ${port}: provided port is already allocated`,
      );
    });
  });

  describe('proxying', () => {
    it('forwards TCP to ready endpoints and follows selector and readiness changes at once', async () => {
      await pods.tcp(podIp(1), 7000, 'one');
      await pods.tcp(podIp(2), 7000, 'two');
      const one = runPod(store, 'plain', 'one', { app: 'one' }, podIp(1));
      runPod(store, 'plain', 'two', { app: 'two' }, podIp(2));
      store.create(
        'services',
        'plain',
        svc('plain', 'echo', { selector: { app: 'one' }, ports: [{ port: 9000, targetPort: 7000 }] }),
      );
      const sp = await listening('plain', 'echo', 9000);
      const ip = ipOf('plain', 'echo');
      await eventually(() => store.tryGet('endpoints', 'plain', 'echo')?.subsets?.[0]?.addresses, 'endpoints');
      assert.equal(await tcpExchange({ host: ip, port: 9000 }, 'hi', 'hi'), 'one|hi');
      assert.equal(
        await tcpExchange({ path: sp.socketPath }, 'via-unix', 'via-unix'),
        'one|via-unix',
        'the unix socket carries the same Service',
      );

      const s = store.get('services', 'plain', 'echo');
      store.update('services', 'plain', { ...s, spec: { ...s.spec, selector: { app: 'two' } } });
      // The controllers run on the next turn; the first connection after them goes to the new pod.
      await eventually(
        () => JSON.stringify(store.get('endpoints', 'plain', 'echo').subsets ?? []).includes(podIp(2)),
        'endpoints follow the selector',
      );
      assert.equal(await tcpExchange({ host: ip, port: 9000 }, 'x', 'x'), 'two|x');

      // Readiness: the only selected pod turns unready, so connections are rejected.
      store.update('services', 'plain', {
        ...store.get('services', 'plain', 'echo'),
        spec: { ...s.spec, selector: { app: 'one' } },
      });
      await eventually(
        () => JSON.stringify(store.get('endpoints', 'plain', 'echo').subsets ?? []).includes(podIp(1)),
        'back to one',
      );
      setReady(store, one, false);
      await eventually(
        () => !store.get('endpoints', 'plain', 'echo').subsets?.some((x: { addresses?: unknown[] }) => x.addresses),
        'no ready address',
      );
      await assert.rejects(tcpExchange({ host: ip, port: 9000 }, 'x', 'x'), /ECONNRESET|ECONNREFUSED/);
      assert.equal(
        await tcpExchange({ path: sp.socketPath }, 'x', 'x').catch(() => ''),
        '',
        'the unix socket is closed at once, too',
      );
      setReady(store, one, true);
      await eventually(
        () => JSON.stringify(store.get('endpoints', 'plain', 'echo').subsets ?? []).includes('"addresses"'),
        'ready again',
      );
      assert.equal(await tcpExchange({ host: ip, port: 9000 }, 'y', 'y'), 'one|y');
    });

    it('lists Services in hosts(), with the short name only for the pod namespace, and reports changes', async () => {
      let changes = 0;
      const off = network.onChange(() => changes++);
      store.create('services', 'plain', svc('plain', 'later', { selector: { app: 'none' } }));
      await listening('plain', 'later');
      await eventually(() => changes > 0, 'onChange');
      off();
      const ip = ipOf('plain', 'later');
      const inPlain = network.hosts('plain').split('\n');
      assert.ok(
        inPlain.includes(`${ip} later.plain.svc.cluster.local later.plain.svc later.plain later`),
        inPlain.join('\n'),
      );
      assert.ok(
        network.hosts('shop').split('\n').includes(`${ip} later.plain.svc.cluster.local later.plain.svc later.plain`),
      );
    });
  });

  describe('Istio routing in an istio-injection=enabled namespace', () => {
    let ratingsIp = '';
    before(async () => {
      await pods.http(podIp(11), 8080, 'ratings-v1');
      await pods.http(podIp(12), 8080, 'ratings-v2');
      await pods.http(podIp(13), 8080, 'ratings-dev');
      await pods.tcp(podIp(14), 8080, 'raw');
      runPod(store, 'shop', 'ratings-v1', { app: 'ratings', version: 'v1' }, podIp(11));
      runPod(store, 'shop', 'ratings-v2', { app: 'ratings', version: 'v2' }, podIp(12));
      runPod(store, 'shop', 'ratings-dev', { app: 'ratings-dev' }, podIp(13));
      runPod(store, 'shop', 'raw', { app: 'raw' }, podIp(14));
      store.create('services', 'shop', svc('shop', 'ratings', { selector: { app: 'ratings' } }));
      store.create('services', 'shop', svc('shop', 'ratings-devlane-s1', { selector: { app: 'ratings-dev' } }));
      store.create('services', 'shop', svc('shop', 'raw', { selector: { app: 'raw' } }));
      await listening('shop', 'ratings');
      await listening('shop', 'ratings-devlane-s1');
      await listening('shop', 'raw');
      ratingsIp = ipOf('shop', 'ratings');
      await eventually(
        () => (store.tryGet('endpoints', 'shop', 'ratings')?.subsets?.[0]?.addresses ?? []).length === 2,
        'ratings endpoints',
      );
      await eventually(
        () => store.tryGet('endpoints', 'shop', 'ratings-devlane-s1')?.subsets?.[0]?.addresses,
        'dev endpoints',
      );
      await eventually(() => store.tryGet('endpoints', 'shop', 'raw')?.subsets?.[0]?.addresses, 'raw endpoints');
    });

    const seen = async (n: number, headers: Record<string, string> = {}, path = '/') => {
      const out = new Set<string>();
      for (let i = 0; i < n; i++) out.add((await get(ratingsIp, 80, path, headers)).json!.pod);
      return out;
    };

    it('without a VirtualService uses all of the Service endpoints', async () => {
      assert.deepEqual([...(await seen(4))].sort(), ['ratings-v1', 'ratings-v2']);
    });

    it('routes a Devlane session by baggage regex or x-devlane-route exact match, everyone else to subset v1', async () => {
      store.create('destinationrules.networking.istio.io', 'shop', {
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: { name: 'ratings', namespace: 'shop' },
        spec: {
          host: 'ratings',
          subsets: [
            { name: 'v1', labels: { version: 'v1' } },
            { name: 'v2', labels: { version: 'v2' } },
          ],
        },
      });
      store.create('virtualservices.networking.istio.io', 'shop', {
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: { name: 'ratings', namespace: 'shop' },
        spec: {
          hosts: ['ratings'],
          http: [
            {
              name: 'devlane-s1',
              match: [
                { headers: { 'x-devlane-route': { exact: 'k3y' } } },
                { headers: { baggage: { regex: '.*devlane=k3y.*' } } },
              ],
              route: [{ destination: { host: 'ratings-devlane-s1.shop.svc.cluster.local', port: { number: 80 } } }],
            },
            {
              match: [{ uri: { prefix: '/v2/' } }],
              rewrite: { uri: '/' },
              route: [{ destination: { host: 'ratings', subset: 'v2' } }],
            },
            {
              match: [{ headers: { 'x-canary': { prefix: 'yes' } } }],
              route: [
                { destination: { host: 'ratings', subset: 'v1' }, weight: 50 },
                { destination: { host: 'ratings', subset: 'v2' }, weight: 50 },
              ],
            },
            {
              route: [{ destination: { host: 'ratings', subset: 'v1' } }],
              headers: { request: { set: { 'x-routed': 'default' } } },
            },
          ],
        },
      });
      assert.deepEqual([...(await seen(4))], ['ratings-v1'], 'default route: subset v1 only');
      const plain = await get(ratingsIp, 80, '/', {});
      assert.equal(plain.json!.headers['x-routed'], 'default', 'route headers are applied');
      assert.deepEqual([...(await seen(3, { 'x-devlane-route': 'k3y' }))], ['ratings-dev']);
      assert.deepEqual(
        [...(await seen(3, { baggage: 'userId=alice,devlane=k3y,other=1' }))],
        ['ratings-dev'],
        'baggage member matched by regex',
      );
      assert.deepEqual(
        [...(await seen(3, { baggage: 'devlane=other' }))],
        ['ratings-v1'],
        'another key does not match',
      );
      assert.deepEqual([...(await seen(2, { 'x-devlane-route': 'k3y-not' }))], ['ratings-v1'], 'exact means exact');
      const rewritten = await get(ratingsIp, 80, '/v2/items?q=1');
      assert.equal(rewritten.json!.pod, 'ratings-v2');
      assert.equal(rewritten.json!.url, '/items?q=1', 'the matched prefix is rewritten');
      assert.deepEqual(
        [...(await seen(40, { 'x-canary': 'yes-please' }))].sort(),
        ['ratings-v1', 'ratings-v2'],
        '50/50 weights reach both subsets',
      );
    });

    it('routes each request of a keep-alive connection on its own, and streams request bodies', async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const a = await get(ratingsIp, 80, '/', {}, agent);
        const b = await get(ratingsIp, 80, '/', { 'x-devlane-route': 'k3y' }, agent);
        const c = await get(ratingsIp, 80, '/', {}, agent, 'POST', 'x'.repeat(100_000));
        assert.equal(a.json!.pod, 'ratings-v1');
        assert.equal(b.json!.pod, 'ratings-dev');
        assert.equal(c.json!.pod, 'ratings-v1');
        assert.equal(c.json!.body.length, 100_000);
      } finally {
        agent.destroy();
      }
    });

    it('passes a WebSocket upgrade through after routing on its headers', async () => {
      const talk = (headers: Record<string, string>) =>
        new Promise<string>((resolve, reject) => {
          const ws = new WebSocket(`ws://${ratingsIp}:80/socket`, { headers });
          ws.on('open', () => ws.send('ping'));
          ws.on('message', (m) => {
            resolve(m.toString());
            ws.close();
          });
          ws.on('error', reject);
        });
      assert.equal(await talk({ baggage: 'devlane=k3y' }), 'ratings-dev:ping');
      assert.equal(await talk({}), 'ratings-v1:ping');
    });

    it('answers 404 when a VirtualService matches no route, 503 for an unknown subset, and forwards non-HTTP bytes as TCP', async () => {
      store.create('virtualservices.networking.istio.io', 'shop', {
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: { name: 'only-admin', namespace: 'shop' },
        spec: {
          hosts: ['ratings-devlane-s1.shop.svc.cluster.local'],
          http: [
            { match: [{ uri: { exact: '/admin' } }], route: [{ destination: { host: 'ratings', subset: 'nope' } }] },
          ],
        },
      });
      const devIp = ipOf('shop', 'ratings-devlane-s1');
      assert.equal((await get(devIp, 80, '/')).status, 404);
      assert.equal((await get(devIp, 80, '/admin')).status, 503);
      const rawIp = ipOf('shop', 'raw');
      assert.equal(await tcpExchange({ host: rawIp, port: 80 }, '\x16\x03\x01hello', 'hello'), 'raw|\x16\x03\x01hello');
    });

    it('refuses VirtualService features the sandbox does not implement', () => {
      const e = invalid(() =>
        store.create('virtualservices.networking.istio.io', 'shop', {
          apiVersion: 'networking.istio.io/v1',
          kind: 'VirtualService',
          metadata: { name: 'bad', namespace: 'shop' },
          spec: {
            hosts: ['ratings'],
            http: [{ match: [{ sourceLabels: { app: 'web' } }], route: [{ destination: { host: 'ratings' } }] }],
          },
        }),
      );
      assert.equal(e.code, 400);
      assert.match(
        e.message,
        /denied the request: configuration is invalid: spec\.http\[0\]\.match\[0\]\.sourceLabels/,
      );
    });
  });
});
