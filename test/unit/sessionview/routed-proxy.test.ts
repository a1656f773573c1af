// The routed-URL proxy in plain Node: a local upstream stands in for the port-forward, so the test
// sees exactly what a pod would receive.
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import type { ObjectApi, PortForwardHandle, PortForwardRequest } from '../../../src/cluster/api';
import { Emitter } from '../../../src/core/events';
import { nullLogger } from '../../../src/core/logger';
import { mergeBaggage } from '../../../src/proxy/headers';
import { RoutedProxy } from '../../../src/proxy/routed-proxy';
import { restartWaitMs } from '../../../src/core/session/restart-wait';

const key = 'k3y-0123456789abcdefghijkl';

describe('routed proxy', () => {
  let upstream: http.Server;
  let port = 0;
  const forwards: PortForwardRequest[] = [];
  before(async () => {
    upstream = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ path: req.url, headers: req.headers }));
    });
    const wss = new WebSocketServer({ server: upstream });
    wss.on('connection', (ws, req) =>
      ws.send(JSON.stringify({ route: req.headers['x-devlane-route'], baggage: req.headers.baggage })),
    );
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    port = (upstream.address() as AddressInfo).port;
  });
  after(() => upstream.close());

  const pods: Record<string, string> = { ratings: 'ratings-abc', 'ratings-dl-s': 'ratings-dl-s-xyz' };
  const objects = {
    get: async (_t: unknown, _ns: string, name: string) => ({
      metadata: { name },
      spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 'http' }] },
    }),
    list: async (_t: unknown, _ns: string, o: { labelSelector: string }) => [
      {
        metadata: { name: pods[o.labelSelector.split('=')[1]] },
        spec: { containers: [{ name: 'app', ports: [{ name: 'http', containerPort: 8080 }] }] },
        status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
      },
    ],
  } as unknown as ObjectApi;
  const cluster = {
    objects,
    portForward: async (req: PortForwardRequest): Promise<PortForwardHandle> => {
      forwards.push(req);
      return {
        ...req,
        localPort: port,
        address: '127.0.0.1',
        onDidClose: new Emitter<Error | undefined>().event,
        dispose() {},
      } as PortForwardHandle;
    },
  };

  it('adds the route header and merges the baggage on every request, on 127.0.0.1 only', async () => {
    let dev: string | undefined;
    const proxy = await RoutedProxy.start({
      cluster,
      namespace: 'shop',
      service: 'ratings',
      routeKey: key,
      devService: () => dev,
      logger: nullLogger,
    });
    try {
      assert.match(proxy.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      const r = await fetch(`${proxy.url}ratings/p-1?x=1`, {
        headers: { baggage: 'team=shop, devlane=stale', 'x-devlane-route': 'forged' },
      });
      const body = (await r.json()) as { path: string; headers: Record<string, string> };
      assert.equal(body.path, '/ratings/p-1?x=1');
      assert.equal(body.headers['x-devlane-route'], key);
      assert.equal(body.headers.baggage, `team=shop,devlane=${key}`);
      assert.equal(body.headers.host, 'ratings');
      assert.deepEqual(forwards.at(-1), {
        namespace: 'shop',
        pod: 'ratings-abc',
        remotePort: 8080,
        localPort: 0,
        address: '127.0.0.1',
        retryRefusedMs: restartWaitMs,
      });

      // Once the session holds the Service, the first hop goes to its copy.
      dev = 'ratings-dl-s';
      await (await fetch(proxy.url)).text();
      assert.equal(forwards.at(-1)?.pod, 'ratings-dl-s-xyz');
    } finally {
      proxy.dispose();
    }
  });

  it('passes WebSocket upgrades through with the route on them', async () => {
    const proxy = await RoutedProxy.start({
      cluster,
      namespace: 'shop',
      service: 'ratings',
      routeKey: key,
      logger: nullLogger,
    });
    try {
      const ws = new WebSocket(proxy.url.replace('http', 'ws') + 'live');
      const msg = await new Promise<string>((resolve, reject) => {
        ws.on('message', (d) => resolve(String(d)));
        ws.on('error', reject);
      });
      ws.close();
      assert.deepEqual(JSON.parse(msg), { route: key, baggage: `devlane=${key}` });
    } finally {
      proxy.dispose();
    }
  });

  it('refuses requests for another Host, and browser requests from other sites, WebSockets included', async () => {
    const proxy = await RoutedProxy.start({
      cluster,
      namespace: 'shop',
      service: 'ratings',
      routeKey: key,
      logger: nullLogger,
    });
    const proxyPort = Number(new URL(proxy.url).port);
    const get = (headers: Record<string, string>) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port: proxyPort, path: '/ratings', headers }, (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
      });
    const openSocket = (origin: string) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(proxy.url.replace('http', 'ws') + 'live', { origin });
        ws.on('message', (d) => (ws.close(), resolve(`message ${String(d)}`)));
        ws.on('unexpected-response', (_req, res) => (res.resume(), resolve(`refused ${res.statusCode}`)));
        ws.on('error', (err) => resolve(`error ${err.message}`));
      });
    const forwardsBefore = forwards.length;
    try {
      const rebound = await get({ host: `attacker.example:${proxyPort}` });
      assert.equal(rebound.status, 403);
      assert.match(
        rebound.body,
        /refused a request for Host "attacker\.example:\d+": it answers only requests for this machine's loopback \(127\.0\.0\.1:\d+ or localhost:\d+\)/,
      );
      assert.equal(
        (await get({ host: 'localhost.attacker.example' })).status,
        403,
        'a name that merely starts like localhost',
      );

      const crossSite = await get({ host: `127.0.0.1:${proxyPort}`, origin: 'https://evil.example' });
      assert.equal(crossSite.status, 403);
      assert.match(crossSite.body, /made by a page of https:\/\/evil\.example/);
      assert.equal((await get({ host: `localhost:${proxyPort}`, 'sec-fetch-site': 'cross-site' })).status, 403);
      assert.equal(await openSocket('https://evil.example'), 'refused 403');
      assert.equal(forwards.length, forwardsBefore, 'nothing refused reached the cluster');

      // An editor that forwards the port (Remote-SSH, code-server's /proxy/PORT/) serves it on a loopback port of its own.
      assert.equal(
        (await get({ host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8080' })).status,
        200,
        'a loopback host on a forwarded port',
      );
      const own = await get({
        host: `localhost:${proxyPort}`,
        origin: `http://localhost:${proxyPort}`,
        'sec-fetch-site': 'same-origin',
      });
      assert.equal(own.status, 200, own.body);
      assert.equal(JSON.parse(own.body).headers['x-devlane-route'], key);
      assert.match(await openSocket(`http://127.0.0.1:${proxyPort}`), /^message .*"route":"k3y-/);
    } finally {
      proxy.dispose();
    }
  });

  it('sends a GET again while the copy restarts under it, and the answer that comes is the one the browser gets', async () => {
    // The first connections close before any answer (a restarting Go copy: its build, then dlv), many times over.
    let closes = 12;
    const restarting = http.createServer((req, res) => {
      if (closes-- > 0) return req.socket.destroy();
      res.end('rebuilt');
    });
    await new Promise<void>((r) => restarting.listen(0, '127.0.0.1', r));
    const warnings: string[] = [];
    const warned = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', warned);
    const proxy = await RoutedProxy.start({
      cluster: {
        ...cluster,
        portForward: async (req) => ({
          ...(await cluster.portForward(req)),
          localPort: (restarting.address() as AddressInfo).port,
        }),
      },
      namespace: 'shop',
      service: 'ratings',
      routeKey: key,
      logger: nullLogger,
    });
    try {
      const r = await fetch(`${proxy.url}stock/p-1`);
      assert.equal(await r.text(), 'rebuilt');
      assert.equal(closes, -1, 'each closed connection was tried again');
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(warnings, [], "no listener piles up on the browser's response with each attempt");
    } finally {
      process.off('warning', warned);
      proxy.dispose();
      restarting.close();
    }
  });

  it('merges baggage members and replaces an old devlane member', () => {
    assert.equal(mergeBaggage(undefined, 'K'), 'devlane=K');
    assert.equal(mergeBaggage(['a=1', 'devlane=old;p=1, b=2'], 'K'), 'a=1,b=2,devlane=K');
  });
});
