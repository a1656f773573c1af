// Open Routed URL (on the sandbox and on a real Kubernetes cluster, test/helpers/target.ts): with a
// session on ratings, a request through the local proxy (no headers of its own) is answered by the
// session's copy, and carries the route key; a direct request to the same Service without the key
// is answered by the original. The proxy listens on 127.0.0.1 only (a non-loopback address of this
// machine is refused while loopback answers), stops accepting when it is disposed (as when the
// session ends), and in front of an Ingress sends the rule's host as Host, as the controller would.
import assert from 'node:assert/strict';
import { setMaxListeners } from 'node:events';
import * as http from 'node:http';
import * as net from 'node:net';
import { networkInterfaces } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { KubeClusters } from '../../../src/cluster/clusters';
import { resolveBackend } from '../../../src/proxy/backend';
import { RoutedProxy } from '../../../src/proxy/routed-proxy';
import { Sessions } from '../../../src/session/sessions';
import { kubeconfigPath, MemoryLogger, needsCluster, needsMesh, TestNamespace, until } from '../../helpers/cluster';
import { contexts, kubectlOk } from '../../helpers/kubectl';
import { apiTypes } from '../../../src/core/api-types';
import type { IngressObject } from '../../../src/core/ingress';
import { createShop, type Shop } from '../../helpers/shop';

/* eslint-disable @typescript-eslint/no-explicit-any */
function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers, agent: false }, (res) => {
        let b = '';
        res.on('data', (d) => (b += d));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(b), headers: res.headers });
          } catch {
            resolve({ status: res.statusCode ?? 0, body: b, headers: res.headers });
          }
        });
      })
      .on('error', reject);
  });
}

const signal = () => {
  const s = AbortSignal.timeout(240_000);
  setMaxListeners(200, s);
  return s;
};

for (const istio of [false, true]) {
  describe(`Open Routed URL proxy (${istio ? 'istio' : 'router'})`, istio ? needsMesh : needsCluster, () => {
    let shop: Shop;
    before(async () => {
      shop = await createShop(istio ? 'dl-px-mesh' : 'dl-px-plain', { istio });
    });
    after(() => shop?.cleanup());

    it('sends routed requests to the copy and un-keyed ones to the original', async () => {
      const logger = new MemoryLogger();
      const clusters = new KubeClusters({ setting: () => kubeconfigPath, env: {} }, { logger, idleMs: 0 });
      const conn = clusters.connection(contexts.alice);
      const sessions = new Sessions({
        api: conn.objects,
        context: contexts.alice,
        namespace: shop.namespace,
        participant: conn.context.user,
        logger,
      });
      const started = await sessions.start({ service: 'ratings', session: 'px' }, signal());
      let proxy: RoutedProxy | undefined;
      try {
        proxy = await RoutedProxy.start({
          cluster: conn,
          namespace: shop.namespace,
          service: 'ratings',
          routeKey: started.routeKey,
          devService: () => started.devService,
          logger,
        });
        assert.match(proxy.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);

        const routed = await get(`${proxy.url}ratings/p-1`, { baggage: 'team=shop' });
        assert.equal(routed.status, 200, JSON.stringify(routed.body));
        assert.equal(routed.body.copy, 'devlane:px');
        assert.equal(routed.body.route, started.routeKey);
        // The proxy went straight to the copy's pod: it says which version answered, as a router would.
        assert.equal(routed.headers['x-devlane-copy'], 'px');

        // The same Service without the key: a plain port-forward to a pod behind it, no headers added.
        const backend = await resolveBackend(conn.objects, shop.namespace, 'ratings', undefined, signal());
        const direct = await conn.portForward({
          namespace: shop.namespace,
          pod: backend.pod,
          remotePort: backend.port,
          localPort: 0,
        });
        try {
          const plain = await get(`http://127.0.0.1:${direct.localPort}/ratings/p-1`);
          assert.equal(plain.status, 200, JSON.stringify(plain.body));
          assert.equal(plain.body.copy, 'original');
          assert.equal(plain.body.route, null);
        } finally {
          direct.dispose();
        }

        const url = proxy.url;
        proxy.dispose();
        await assert.rejects(get(`${url}ratings/p-1`), /ECONNREFUSED/);
      } finally {
        proxy?.dispose();
        started.heartbeat.dispose();
        await sessions.stop('px', signal());
        clusters.dispose();
      }
    });

    it("stands in for an Ingress: each path goes where its rules say, and the session's copy answers for the Service it holds", async () => {
      const ingress = {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'shop', namespace: shop.namespace },
        spec: {
          rules: [
            {
              host: 'shop.example.com',
              http: {
                paths: [
                  { path: '/api', pathType: 'Prefix', backend: { service: { name: 'web', port: { name: 'http' } } } },
                  {
                    path: '/ratings',
                    pathType: 'Prefix',
                    backend: { service: { name: 'ratings', port: { number: 80 } } },
                  },
                ],
              },
            },
          ],
        },
      };
      kubectlOk(['apply', '-f', '-'], { input: JSON.stringify(ingress) });
      const logger = new MemoryLogger();
      const clusters = new KubeClusters({ setting: () => kubeconfigPath, env: {} }, { logger, idleMs: 0 });
      const conn = clusters.connection(contexts.alice);
      const sessions = new Sessions({
        api: conn.objects,
        context: contexts.alice,
        namespace: shop.namespace,
        participant: conn.context.user,
        logger,
      });
      const started = await sessions.start({ service: 'ratings', session: 'ing' }, signal());
      let proxy: RoutedProxy | undefined;
      try {
        // What the editor's picker reads, as the developer (the shipped Role grants it).
        const read = await conn.objects.get<IngressObject>(apiTypes.ingress, shop.namespace, 'shop', signal());
        proxy = await RoutedProxy.start({
          cluster: conn,
          namespace: shop.namespace,
          service: 'shop',
          ingress: { object: read, host: 'shop.example.com' },
          routeKey: started.routeKey,
          devService: (svc) => (svc === 'ratings' ? started.devService : undefined),
          logger,
        });

        const rating = await get(`${proxy.url}ratings/p-1`);
        assert.equal(rating.status, 200, JSON.stringify(rating.body));
        assert.equal(rating.body.copy, 'devlane:ing', '/ratings goes to ratings, whose copy the session holds');

        const products = await get(`${proxy.url}api/products`);
        assert.equal(products.status, 200, JSON.stringify(products.body));
        assert.equal(products.body.copy, 'original', '/api goes to web, which the session does not hold');
        assert.deepEqual(
          [...new Set(products.body.catalog.products.map((p: any) => p.rating.copy))],
          ['devlane:ing'],
          'the key travels on: web → catalog → the copy of ratings',
        );

        const none = await get(`${proxy.url}elsewhere`);
        assert.equal(none.status, 404);
        assert.match(String(none.body), /Ingress shop has no rule for shop\.example\.com\/elsewhere/);
      } finally {
        proxy?.dispose();
        started.heartbeat.dispose();
        await sessions.stop('ing', signal());
        clusters.dispose();
        kubectlOk(['delete', 'ingress', 'shop', '-n', shop.namespace]);
      }
    });
  });
}

/** A pod that answers every request with the headers it received, behind Service `echo`. */
const echoScript = `require('http').createServer((q, s) => { s.setHeader('content-type', 'application/json'); s.end(JSON.stringify({ host: q.headers.host, route: q.headers['x-devlane-route'] ?? null })); }).listen(8080)`;

/** This machine's addresses that are not loopback (IPv4 and global IPv6), as os.networkInterfaces() lists them. */
function nonLoopbackAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((a) => !a.internal && !(a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80')))
    .map((a) => a.address);
}

/** 'connected', or the error code a TCP connect got ('ECONNREFUSED', …). */
function connectResult(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.setTimeout(20_000, () => (s.destroy(), resolve('timeout')));
    s.once('connect', () => (s.destroy(), resolve('connected')));
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

describe('Open Routed URL proxy: what leaves it, and where it listens', needsCluster, () => {
  let ns: TestNamespace;
  let clusters: KubeClusters;
  const routeKey = 'Flows17RouteKey_0123456789abcdef';
  before(async () => {
    ns = await TestNamespace.create('dl-px-echo');
    await ns.createNodePod('echo', echoScript, { app: 'echo' }, 8080);
    await ns.createService('echo', { app: 'echo' });
    await until(
      'pod echo to be ready',
      async () => (await ns.readPod('echo')).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      120_000,
    );
    clusters = new KubeClusters({ setting: () => kubeconfigPath, env: {} }, { logger: new MemoryLogger(), idleMs: 0 });
  });
  after(async () => {
    clusters?.dispose();
    await ns?.dispose();
  });

  it("in front of an Ingress, sends the Ingress rule's host as Host (and the route key)", async () => {
    const ingress = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'front', namespace: ns.name },
      spec: {
        rules: [
          {
            host: 'shop.flows17.example',
            http: {
              paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'echo', port: { number: 80 } } } }],
            },
          },
        ],
      },
    };
    kubectlOk(['apply', '-f', '-'], { input: JSON.stringify(ingress) });
    const conn = clusters.connection(contexts.alice);
    const read = await conn.objects.get<IngressObject>(apiTypes.ingress, ns.name, 'front', signal());
    const proxy = await RoutedProxy.start({
      cluster: conn,
      namespace: ns.name,
      service: 'front',
      ingress: { object: read, host: 'shop.flows17.example' },
      routeKey,
      logger: new MemoryLogger(),
    });
    try {
      const r = await get(`${proxy.url}any/path`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(
        r.body,
        { host: 'shop.flows17.example', route: routeKey },
        "the pod behind the Ingress got the rule's host, not the proxy's 127.0.0.1:PORT",
      );
    } finally {
      proxy.dispose();
    }
  });

  it("answers on loopback and refuses connections on this machine's other addresses", async (t) => {
    const others = nonLoopbackAddresses();
    if (others.length === 0) return t.skip('this machine has no address but loopback (os.networkInterfaces())');
    const address = others[0];
    const proxy = await RoutedProxy.start({
      cluster: clusters.connection(contexts.alice),
      namespace: ns.name,
      service: 'echo',
      routeKey,
      logger: new MemoryLogger(),
    });
    try {
      const port = Number(new URL(proxy.url).port);
      const r = await get(proxy.url);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.route, routeKey, 'loopback answers, with the route key');
      assert.equal(
        await connectResult(address, port),
        'ECONNREFUSED',
        `a connection to ${address}:${port} (not loopback) is refused`,
      );
    } finally {
      proxy.dispose();
    }
  });
});
