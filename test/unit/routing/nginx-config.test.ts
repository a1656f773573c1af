// The router's nginx configuration: what it contains, that `nginx -t` accepts it, and (when nginx is
// installed) that a real nginx routes header, baggage and un-keyed requests where they belong.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type LocalNginx, startLocalNginx } from '../../helpers/nginx';
import { parseAccessLog } from '../../../src/doctor/records';
import { needsNginx } from '../../helpers/prerequisite';
import type { EditResult } from '../../../src/routing/edit-result';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const updated = (r: EditResult): any => {
  assert.equal(r.kind, 'update');
  return (r as { object: unknown }).object;
};
import {
  accessLogFile,
  portProtocol,
  renderRouterConfig,
  type RouterConfigInput,
} from '../../../src/routing/nginx-config';
import {
  addRouterRoute,
  removeRouterRoute,
  restoreSelector,
  routerConfigMap,
  switchSelector,
} from '../../../src/routing/router';
import { routerPodLabels } from '../../../src/core/session/route-contract';

const k1 = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1';
const k2 = 'BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB2';
const input = (over: Partial<RouterConfigInput> = {}): RouterConfigInput => ({
  namespace: 'shop',
  service: 'ratings',
  adminPort: 15021,
  ports: [{ name: 'http', port: 80, listen: 8080, protocol: 'http' }],
  routes: [
    { session: 's1', routeKey: k1, devService: 'ratings-dl-s1' },
    { session: 's2', routeKey: k2, devService: 'ratings-dl-s2' },
  ],
  ...over,
});
const nginxMissing = needsNginx();

describe('router nginx config', () => {
  it('maps each key (header, then baggage) to its session and everything else to the origin', () => {
    const c = renderRouterConfig(input());
    assert.match(c, new RegExp(`"~\\^${k1}\\$" "s1";`));
    assert.match(c, /default dl_ratings_devlane_origin_80;/);
    assert.match(c, /"s2" dl_ratings_dl_s2_80;/);
    assert.match(c, /server ratings-devlane-origin\.shop\.svc\.cluster\.local:80;/);
    assert.match(c, /proxy_set_header Upgrade \$http_upgrade;/);
    assert.doesNotMatch(c, /stream \{/);
  });

  it("marks only the copy's responses: the session name when routed to a copy, the original's own header otherwise", () => {
    const c = renderRouterConfig(
      input({
        ports: [
          { name: 'http', port: 80, listen: 8080, protocol: 'http' },
          { name: 'grpc', port: 9090, listen: 9090, protocol: 'grpc' },
        ],
      }),
    );
    assert.match(
      c,
      /map \$dl_session \$dl_copy \{\n {4}"" \$upstream_http_x_devlane_copy;\n {4}default \$dl_session;\n {2}\}/,
    );
    assert.equal(
      c.match(/add_header x-devlane-copy \$dl_copy always;/g)?.length,
      5,
      'on every HTTP port, its own error answers included (on the gRPC port, the text one and the gRPC one)',
    );
    assert.match(c, /proxy_hide_header x-devlane-copy;/);
    assert.match(c, /grpc_hide_header x-devlane-copy;/);
    assert.doesNotMatch(c.slice(c.indexOf('listen 15021')), /add_header x-devlane-copy/, 'not on the admin port');
  });

  it('is stable for the same routes in any order', () => {
    const a = renderRouterConfig(input());
    const b = renderRouterConfig(input({ routes: [...input().routes].reverse() }));
    assert.equal(a, b);
  });

  it('speaks HTTP/2 end to end on h2c ports, HTTP/1.1 (with upgrades) on plain HTTP ports', () => {
    const c = renderRouterConfig(
      input({
        ports: [
          { name: 'http', port: 80, listen: 8080, protocol: 'http' },
          { name: 'h2c', port: 81, listen: 8081, protocol: 'http2' },
        ],
      }),
    );
    assert.match(
      c,
      /listen 8080;\n {4}location = \/\.devlane\/router-check \{[^\n]*return 204; \}\n {4}location \/ \{\n {6}proxy_pass http:\/\/\$dl_upstream_80;/,
    );
    assert.match(c, /listen 8081 http2;\n {4}location \/ \{\n {6}grpc_pass grpc:\/\/\$dl_upstream_81;/);
  });

  it('holds keyed requests on HTTP/2 ports in hold servers that speak HTTP/2, passing on only errors', () => {
    const c = renderRouterConfig(
      input({ ports: [{ name: 'grpc', port: 9090, listen: 9090, protocol: 'grpc' }], routes: [input().routes[0]] }),
    );
    assert.match(
      c,
      /upstream dl_ratings_dl_s1_9090 \{ server [^;]+:9090 max_fails=0; server 127\.0\.0\.1:(\d+) backup;/,
    );
    assert.equal(c.match(/listen 127\.0\.0\.1:\d+ http2;/g)?.length, 3, 'one hold server per phase, in h2c');
    assert.equal(
      c.match(/grpc_next_upstream error;/g)?.length,
      4,
      "the front hop and each hold server: errors only (grpc's default adds timeouts)",
    );
    assert.match(c, /grpc_set_header x-devlane-hold "";/, 'a client cannot forge a hold chain');
    assert.doesNotMatch(c, /proxy_pass/);
    assert.doesNotMatch(c, /non_idempotent/);
    assert.match(c, /"~\^application\/grpc\(\$\|\[\+;\]\)" @dl_unreachable_grpc;/);
    assert.match(c, /error_page 502 504 = \$dl_unreachable;/);
  });

  it('gives gRPC ports grpc_pass over HTTP/2 and passes TCP ports through', () => {
    const c = renderRouterConfig(
      input({
        ports: [
          { name: 'grpc', port: 9090, listen: 9090, protocol: 'grpc' },
          { name: 'db', port: 5432, listen: 5432, protocol: 'tcp' },
        ],
      }),
    );
    assert.match(c, /listen 9090 http2;/);
    assert.match(c, /grpc_pass grpc:\/\/\$dl_upstream_9090;/);
    assert.match(
      c,
      /stream \{\n {2}server \{ listen 5432; proxy_pass ratings-devlane-origin\.shop\.svc\.cluster\.local:5432; \}/,
    );
  });

  it('classifies ports by appProtocol, then name', () => {
    assert.equal(portProtocol({ name: 'http' }), 'http');
    assert.equal(portProtocol({ name: 'grpc-api' }), 'grpc');
    assert.equal(portProtocol({ appProtocol: 'kubernetes.io/h2c' }), 'http2');
    assert.equal(portProtocol({ name: 'postgres' }), 'tcp');
    assert.equal(portProtocol({ name: 'x', protocol: 'UDP' }), 'tcp');
    assert.equal(portProtocol({}), 'http');
  });

  it('refuses a route key that is not base64url (no config injection)', () => {
    assert.throws(() => renderRouterConfig(input({ routes: [{ session: 's', routeKey: 'x"; }', devService: 'd' }] })));
  });

  it('edits the ConfigMap one session at a time', () => {
    const cm = routerConfigMap({ namespace: 'shop', service: 'ratings', ports: input().ports, adminPort: 15021 });
    const one = addRouterRoute(cm, input().routes[0]);
    assert.equal(one.kind, 'update');
    const two = addRouterRoute(updated(one), input().routes[1]);
    const back = removeRouterRoute(updated(two), 's1');
    assert.deepEqual(JSON.parse(updated(back).data!['routes.json']), [input().routes[1]]);
    assert.equal(removeRouterRoute(cm, 's1').kind, 'unchanged');
  });

  it('switches a selector keeping the original in an annotation, and restores it', () => {
    const svc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'ratings', annotations: { team: 'a' } },
      spec: { selector: { app: 'ratings' }, ports: [] },
    };
    const switched = updated(switchSelector(svc, routerPodLabels('ratings')));
    assert.deepEqual(switched.spec.selector, { 'devlane.dev/role': 'router', 'devlane.dev/service': 'ratings' });
    assert.equal(switched.metadata.annotations['devlane.dev/original-selector'], '{"app":"ratings"}');
    assert.equal(switchSelector(switched, routerPodLabels('ratings')).kind, 'unchanged');
    assert.deepEqual(updated(restoreSelector(switched)), svc);
  });

  it('does not restore a selector someone changed after the switch: it is theirs now', () => {
    const svc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'ratings' },
      spec: { selector: { app: 'ratings' }, ports: [] },
    };
    const switched = updated(switchSelector(svc, routerPodLabels('ratings')));
    const edited = { ...switched, spec: { ...switched.spec, selector: { app: 'ratings-v2' } } };
    assert.equal(restoreSelector(edited).kind, 'unchanged');
    const widened = { ...switched, spec: { ...switched.spec, selector: { 'devlane.dev/role': 'router' } } };
    assert.equal(
      restoreSelector(widened).kind,
      'unchanged',
      'a selector that only partly matches the router is not what the session set',
    );
  });

  it('passes nginx -t', { skip: nginxMissing }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'dl-nginx-'));
    try {
      // nginx -t resolves upstream host names: point them at this machine for the check.
      const ports: RouterConfigInput['ports'] = [
        { name: 'http', port: 80, listen: 8080, protocol: 'http' },
        { name: 'grpc', port: 9090, listen: 9090, protocol: 'grpc' },
        { name: 'h2c', port: 81, listen: 8081, protocol: 'http2' },
      ];
      const conf = renderRouterConfig(input({ ports, adminPort: 0 + 15021 }))
        .replace(/[a-z0-9-]+\.shop\.svc\.cluster\.local/g, '127.0.0.1')
        .replace('pid /tmp/devlane-router.pid;', `pid ${dir}/nginx.pid;`)
        .replaceAll(accessLogFile, join(dir, 'access.log'));
      writeFileSync(join(dir, 'nginx.conf'), conf);
      const r = spawnSync('nginx', ['-t', '-q', '-c', join(dir, 'nginx.conf'), '-e', 'stderr'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('routes real requests by header and baggage through nginx', { skip: nginxMissing }, async () => {
    const { ngx, backends } = await namedBackendsRouter();
    const front = ngx.front;
    try {
      assert.equal(await get(front, {}), 'origin');
      assert.equal(await get(front, { 'x-devlane-route': k1 }), 's1');
      assert.equal(await get(front, { baggage: `a=1, devlane=${k2};p=x, b=2` }), 's2');
      assert.equal(await get(front, { baggage: 'devlane=CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC3' }), 'origin');
      assert.equal(await get(front, { 'x-devlane-route': k1, baggage: `devlane=${k2}` }), 's1', 'the header wins');
    } finally {
      await ngx.stop();
      for (const b of backends) b.close();
    }
  });

  it(
    'records each front-door request for Trace Route: key, probe id, session, upstream',
    { skip: nginxMissing },
    async () => {
      const { ngx, backends } = await namedBackendsRouter();
      const front = ngx.front;
      try {
        await get(front, {
          'x-devlane-route': k1,
          baggage: `devlane=${k1},devlane-probe=p0a1`,
          traceparent: '00-x-y-01',
        });
        await get(front, { baggage: `a=1, devlane=${k2};p=x` });
        await get(front, { 'x-devlane-route': 'not "a" key\\' });
        await get(front, {});
        const records = parseAccessLog(readFileSync(ngx.accessLog, 'utf8'), { service: 'ratings', pod: 'r-1' });
        const probe = records.find((r) => r.probe === 'p0a1');
        assert.ok(probe, 'the probe is recorded with its id');
        assert.equal(probe.routeHeader, k1);
        assert.equal(probe.baggageKey, k1);
        assert.equal(probe.session, 's1');
        assert.equal(probe.status, 200);
        assert.equal(probe.from, '127.0.0.1');
        assert.match(probe.upstream, /^127\.0\.0\.1:\d+$/);
        assert.ok(probe.end >= probe.start && probe.start > 0);
        const byBaggage = records.find((r) => r.baggageKey === k2);
        assert.equal(byBaggage?.session, 's2');
        assert.equal(byBaggage?.routeHeader, '');
        assert.ok(
          records.some((r) => r.routeHeader === 'not "a" key\\' && r.session === ''),
          'escaped values come back as sent',
        );
        assert.ok(
          records.some((r) => r.routeHeader === '' && r.baggageKey === '' && r.probe === '' && r.session === ''),
        );
      } finally {
        await ngx.stop();
        for (const b of backends) b.close();
      }
    },
  );

  it(
    'marks what a real nginx answers from a copy, errors and WebSocket upgrades included',
    { skip: nginxMissing },
    async () => {
      const upgradeTo = (name: string) => (_req: http.IncomingMessage, socket: import('node:stream').Duplex) => {
        socket.end(
          `HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nx-served-by: ${name}\r\n\r\n`,
        );
      };
      // The origin marks nothing; the s1 copy tries to name another session, which the router replaces.
      const origin = await listen((_req, res) => res.end('origin'));
      const s1 = await listen((_req, res) => res.setHeader('x-devlane-copy', 'someone-else').end('s1'));
      origin.on('upgrade', upgradeTo('origin'));
      s1.on('upgrade', upgradeTo('s1'));
      // A copy that is down: port 1 (tcpmux) has no listener here, and unlike a port freed a moment
      // ago no parallel test can take it.
      const dead = 1;
      const ngx = await startLocalNginx(
        ({ front, admin }) =>
          renderRouterConfig(
            input({ ports: [{ name: 'http', port: 80, listen: front, protocol: 'http' }], adminPort: admin }),
          )
            .replaceAll(
              'ratings-devlane-origin.shop.svc.cluster.local:80',
              `127.0.0.1:${(origin.address() as { port: number }).port}`,
            )
            .replaceAll(
              'ratings-dl-s1.shop.svc.cluster.local:80',
              `127.0.0.1:${(s1.address() as { port: number }).port}`,
            )
            .replaceAll('ratings-dl-s2.shop.svc.cluster.local:80', `127.0.0.1:${dead}`),
        ({ front }) => answers(front),
      );
      const front = ngx.front;
      try {
        const plain = await fetchHead(front, {});
        assert.equal(plain.status, 200);
        assert.equal(plain.headers['x-devlane-copy'], undefined, "the original's answer carries no marker");
        const keyed = await fetchHead(front, { 'x-devlane-route': k1 });
        assert.equal(keyed.headers['x-devlane-copy'], 's1', "the copy's own header is replaced by its session");
        assert.equal((await fetchHead(front, { baggage: `devlane=${k1}` })).headers['x-devlane-copy'], 's1');
        const down = await fetchHead(front, { 'x-devlane-route': k2 });
        assert.equal(down.status, 502);
        assert.equal(down.headers['x-devlane-copy'], 's2', 'a copy that is down: the error says whose route it was');
        const ws = await upgradeHead(front, { 'x-devlane-route': k1 });
        assert.equal(ws.status, 101);
        assert.equal(ws.headers['x-served-by'], 's1');
        assert.equal(ws.headers['x-devlane-copy'], 's1');
        const wsPlain = await upgradeHead(front, {});
        assert.equal(wsPlain.headers['x-served-by'], 'origin');
        assert.equal(wsPlain.headers['x-devlane-copy'], undefined);
        // The router answers its check path itself: a request to the Service's address shows it reaches the router.
        const check = await new Promise<Head>((resolve, reject) => {
          http
            .get({ host: '127.0.0.1', port: front, path: '/.devlane/router-check', agent: false }, (res) => {
              res.resume();
              resolve({ status: res.statusCode ?? 0, headers: res.headers });
            })
            .on('error', reject);
        });
        assert.equal(check.status, 204);
        assert.equal(check.headers['x-devlane-router'], 'generation 0');
      } finally {
        await ngx.stop();
        origin.close();
        s1.close();
      }
    },
  );
});

interface Head {
  status: number;
  headers: http.IncomingHttpHeaders;
}
function fetchHead(port: number, headers: Record<string, string>): Promise<Head> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, headers, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      })
      .on('error', reject);
  });
}
function upgradeHead(port: number, headers: Record<string, string>): Promise<Head> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      agent: false,
      headers: { ...headers, connection: 'Upgrade', upgrade: 'websocket' },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
    });
    req.on('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
    req.on('error', reject);
    req.end();
  });
}

/** A real nginx running the router config, with backends that answer their own name (origin, s1, s2). */
async function namedBackendsRouter(): Promise<{ ngx: LocalNginx; backends: http.Server[] }> {
  const backends = await Promise.all(['origin', 's1', 's2'].map((name) => listen((_req, res) => res.end(name))));
  const [origin, s1, s2] = backends.map((b) => (b.address() as { port: number }).port);
  const ngx = await startLocalNginx(
    ({ front, admin }) =>
      renderRouterConfig(
        input({ ports: [{ name: 'http', port: 80, listen: front, protocol: 'http' }], adminPort: admin }),
      )
        .replaceAll('ratings-devlane-origin.shop.svc.cluster.local:80', `127.0.0.1:${origin}`)
        .replaceAll('ratings-dl-s1.shop.svc.cluster.local:80', `127.0.0.1:${s1}`)
        .replaceAll('ratings-dl-s2.shop.svc.cluster.local:80', `127.0.0.1:${s2}`),
    ({ front }) => answers(front),
  );
  return { ngx, backends };
}

function listen(handler: http.RequestListener): Promise<http.Server> {
  return new Promise((resolve) => {
    const s = http.createServer(handler);
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}
function get(port: number, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, headers, agent: false }, (res) => {
        let b = '';
        res.on('data', (d) => (b += d));
        res.on('end', () => resolve(b));
      })
      .on('error', reject);
  });
}
function answers(port: number): Promise<boolean> {
  return get(port, {}).then(
    () => true,
    () => false,
  );
}
