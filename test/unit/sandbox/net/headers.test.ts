// The sandbox's Istio header operations (VirtualService `headers.request` / `headers.response`),
// evaluated as Istio compiles them and Envoy applies them: which operations, in which order, on
// which answers, and what admission refuses. The last part sends real requests through the mesh
// HTTP proxy to a local upstream.
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { describe, it } from 'node:test';
import { MeshHttpServer, type HttpContext, type RouteResult } from '../../../../sandbox/net/http-proxy';
import { applyHeaderOps, decide, headerMutation, unsupported, type RequestView } from '../../../../sandbox/net/istio';
import type { KObject } from '../../../../sandbox/core/types';

type H = Record<string, string | string[] | undefined>;
const req = (over: Partial<RequestView> = {}): RequestView => ({
  method: 'GET',
  url: '/',
  headers: {},
  port: 80,
  authority: 'ratings',
  ...over,
});
const vs = (http: unknown[]): KObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'r', namespace: 'shop' },
  spec: { hosts: ['ratings'], http },
});
const apply = (h: H, d: ReturnType<typeof decide>, side: 'request' | 'response'): H => {
  assert.ok(d.kind !== 'no-route');
  const ops = side === 'request' ? (d.kind === 'forward' ? d.request : []) : d.response;
  applyHeaderOps(h, ops);
  return h;
};

describe('Istio header operations: one parser', () => {
  it('removes first, then sets (replacing every value), then adds; names are case-insensitive', () => {
    const h: H = { 'x-a': ['1', '2'], 'x-b': 'old', 'x-gone': 'v' };
    applyHeaderOps(h, [
      headerMutation({
        remove: ['X-Gone', 'x-b'],
        set: { 'X-A': 'set', 'x-b': 'again' },
        add: { 'x-a': 'added', 'x-new': 'n' },
      }),
    ]);
    assert.deepEqual(
      h,
      { 'x-a': ['set', 'added'], 'x-b': 'again', 'x-new': 'n' },
      'x-b is removed, then set: remove-before-add',
    );
  });

  it('skips empty values, keeps `%%` as a literal `%`, and never touches host or pseudo-headers', () => {
    const m = headerMutation({
      set: { 'x-empty': '', 'x-pct': '100%%', host: 'evil', ':path': '/x' },
      remove: ['host', ':authority'],
    });
    assert.deepEqual(m, {
      remove: [],
      set: [
        ['x-empty', ''],
        ['x-pct', '100%'],
      ],
      add: [],
    });
    const h: H = { host: 'ratings', 'x-empty': 'kept' };
    applyHeaderOps(h, [m]);
    assert.deepEqual(h, { host: 'ratings', 'x-empty': 'kept', 'x-pct': '100%' });
  });
});

describe('Istio header operations: route and destination', () => {
  it("a lone destination's operations follow the route's in one parser, so the destination wins a conflict", () => {
    const d = decide(
      vs([
        {
          headers: { response: { set: { 'x-v': 'route' }, add: { 'x-l': 'route' } } },
          route: [
            {
              destination: { host: 'ratings' },
              headers: { response: { set: { 'x-v': 'dest' }, add: { 'x-l': 'dest' } } },
            },
          ],
        },
      ]),
      req(),
    );
    assert.deepEqual(apply({}, d, 'response'), { 'x-v': 'dest', 'x-l': ['route', 'dest'] });
  });

  it("with several destinations, each one's operations run before the route's, so the route wins a conflict", () => {
    const v = vs([
      {
        headers: { request: { set: { 'x-v': 'route' } }, response: { set: { 'x-r': 'route' } } },
        route: [
          {
            destination: { host: 'a' },
            weight: 100,
            headers: {
              request: { set: { 'x-v': 'a', 'x-only': 'a' } },
              response: { set: { 'x-r': 'a' }, add: { 'x-dest': 'a' } },
            },
          },
          { destination: { host: 'b' }, weight: 0, headers: { response: { set: { 'x-dest': 'b' } } } },
        ],
      },
    ]);
    for (const rand of [0, 0.5, 0.999]) {
      const d = decide(v, req(), () => rand);
      assert.equal(d.kind === 'forward' && d.destination.service, 'a', 'a destination of weight 0 is never chosen');
      assert.deepEqual(apply({}, d, 'request'), { 'x-v': 'route', 'x-only': 'a' });
      assert.deepEqual(apply({}, d, 'response'), { 'x-r': 'route', 'x-dest': 'a' });
    }
  });

  it("a request set/add of host or :authority rewrites the authority; rewrite.authority wins, then the route's, then the destination's", () => {
    const auth = (route: Record<string, unknown>) => {
      const d = decide(
        vs([
          {
            ...route,
            route: [
              { destination: { host: 'ratings' }, headers: { request: { set: { ':authority': 'dest.example' } } } },
            ],
          },
        ]),
        req(),
      );
      return d.kind === 'forward' ? d.authority : undefined;
    };
    assert.equal(auth({}), 'dest.example');
    assert.equal(auth({ headers: { request: { add: { Host: 'route.example' } } } }), 'route.example');
    assert.equal(
      auth({ headers: { request: { set: { host: 'route.example' } } }, rewrite: { authority: 'rewrite.example' } }),
      'rewrite.example',
    );
  });

  it("answers of the proxy's own carry the chosen route's response operations; a request no route matches gets none", () => {
    const marker = { headers: { response: { set: { 'x-devlane-copy': 's1' } } } };
    const cases = [
      { ...marker, directResponse: { status: 418, body: { string: 'tea' } } },
      { ...marker, redirect: { uri: '/elsewhere' } },
      {
        ...marker,
        fault: { abort: { httpStatus: 500, percentage: { value: 100 } } },
        route: [{ destination: { host: 'ratings' } }],
      },
      { ...marker, route: [{ destination: { host: 'not.a.service.example' } }] },
    ];
    for (const c of cases) {
      const d = decide(vs([c]), req());
      assert.equal(d.kind, 'respond', JSON.stringify(c));
      assert.deepEqual(apply({}, d, 'response'), { 'x-devlane-copy': 's1' }, JSON.stringify(c));
    }
    assert.equal(
      decide(
        vs([
          {
            ...marker,
            match: [{ headers: { 'x-devlane-route': { exact: 'k' } } }],
            route: [{ destination: { host: 'ratings' } }],
          },
        ]),
        req(),
      ).kind,
      'no-route',
    );
  });
});

describe('Istio header operations: admission', () => {
  const problems = (headers: unknown, dest?: unknown) =>
    unsupported(vs([{ headers, route: [{ destination: { host: 'ratings' }, headers: dest }] }]));
  it('accepts what Istio accepts', () => {
    assert.deepEqual(
      problems({
        request: { set: { host: 'x', ':authority': 'y', 'x-a': '100%%' }, remove: ['x-b'] },
        response: { set: { 'x-devlane-copy': 's1' }, add: { 'x-c': '' }, remove: ['server'] },
      }),
      [],
    );
  });
  it('refuses what Istio refuses, and Envoy substitutions the sandbox does not implement', () => {
    const p = problems(
      {
        request: { remove: ['Host'] },
        response: { set: { ':status': '200', host: 'x' }, add: { 'x-a': 'line\nbreak', 'x-b': '50%' } },
      },
      { response: { set: { 'x-c': '%HOSTNAME%' } } },
    );
    assert.equal(p.length, 6, p.join('\n'));
    assert.match(
      p[0],
      /^spec\.http\[0\]\.headers\.request\.remove\[0\]: invalid header "Host": cannot set Host header$/,
    );
    assert.ok(
      p.some((x) => /response\.set\[:status\]: invalid header ":status": header cannot have ":" prefix/.test(x)),
    );
    assert.ok(p.some((x) => /response\.add\[x-a\]: header value configuration .* is invalid/.test(x)));
    assert.ok(p.some((x) => /response\.add\[x-b\]: .*Un-escaped %/.test(x)));
    assert.ok(
      p.some((x) =>
        /^spec\.http\[0\]\.route\[0\]\.headers\.response\.set\[x-c\]: Envoy substitutions .* not implemented by the sandbox/.test(
          x,
        ),
      ),
    );
  });
});

describe('Istio header operations through the mesh HTTP proxy', () => {
  const marker = headerMutation({ set: { 'x-devlane-copy': 's1' }, remove: ['x-secret'] });
  const requestOps = headerMutation({ set: { 'x-added': 'yes' } });

  async function withProxy(
    route: (port: number) => RouteResult,
    check: (port: number) => Promise<void>,
  ): Promise<void> {
    const upstream = http.createServer((q, s) => {
      s.setHeader('x-secret', 'internal');
      s.setHeader('x-seen', String(q.headers['x-added'] ?? 'no'));
      s.end('from upstream');
    });
    upstream.on('upgrade', (_q, sock: net.Socket) => {
      sock.write(
        'HTTP/1.1 101 Switching Protocols\r\nupgrade: echo\r\nconnection: Upgrade\r\nx-secret: internal\r\n\r\nhello',
      );
      sock.pipe(sock);
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const upPort = (upstream.address() as net.AddressInfo).port;
    const mesh = new MeshHttpServer();
    const ctx: HttpContext = { namespace: 'shop', service: 'ratings', port: 80, route: async () => route(upPort) };
    const front = net.createServer((client) => client.once('data', (head) => mesh.serve(client, head, ctx)));
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    try {
      await check((front.address() as net.AddressInfo).port);
    } finally {
      front.close();
      upstream.close();
      upstream.closeAllConnections();
    }
  }

  const upstreamRoute = (port: number): RouteResult => ({
    kind: 'upstream',
    socket: net.connect(port, '127.0.0.1'),
    request: [requestOps],
    response: [marker],
  });

  it('applies request operations on the way in and response operations on the way out', async () => {
    await withProxy(upstreamRoute, async (port) => {
      const r = await get(port);
      assert.equal(r.status, 200);
      assert.equal(r.body, 'from upstream');
      assert.equal(r.headers['x-seen'], 'yes');
      assert.equal(r.headers['x-devlane-copy'], 's1');
      assert.equal(r.headers['x-secret'], undefined);
    });
  });

  it('marks the 101 of an upgrade and then passes bytes both ways untouched', async () => {
    await withProxy(upstreamRoute, async (port) => {
      const { res, socket } = await upgrade(port);
      assert.equal(res.statusCode, 101);
      assert.equal(res.headers['x-devlane-copy'], 's1');
      assert.equal(res.headers['x-secret'], undefined);
      const got: Buffer[] = [];
      socket.on('data', (d: Buffer) => got.push(d));
      socket.write('ping');
      await until(() => Buffer.concat(got).toString() === 'helloping');
      socket.destroy();
    });
  });

  it("marks the proxy's own answers for a chosen route, on plain requests and on upgrades", async () => {
    await withProxy(
      () => ({ kind: 'respond', status: 503, body: 'no healthy upstream', response: [marker] }),
      async (port) => {
        const r = await get(port);
        assert.equal(r.status, 503);
        assert.equal(r.headers['x-devlane-copy'], 's1');
        const u = await upgrade(port).catch((e: { res?: http.IncomingMessage }) => e);
        assert.equal((u as { res: http.IncomingMessage }).res.statusCode, 503);
        assert.equal((u as { res: http.IncomingMessage }).res.headers['x-devlane-copy'], 's1');
      },
    );
  });
});

function get(port: number): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, agent: false }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on('error', reject);
  });
}

function upgrade(port: number): Promise<{ res: http.IncomingMessage; socket: import('node:stream').Duplex }> {
  return new Promise((resolve, reject) => {
    const q = http.request({
      host: '127.0.0.1',
      port,
      agent: false,
      headers: { connection: 'Upgrade', upgrade: 'echo' },
    });
    q.on('upgrade', (res, socket, head) => {
      if (head.length) socket.unshift(head);
      resolve({ res, socket });
    });
    q.on('response', (res) => {
      res.resume();
      reject(Object.assign(new Error(`no upgrade: ${res.statusCode}`), { res }));
    });
    q.on('error', reject);
    q.end();
  });
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check());
}
