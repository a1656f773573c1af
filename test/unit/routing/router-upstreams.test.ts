// A real nginx with the router's config: it starts without any name to resolve, a copy that is gone
// fails only its own key's requests with an answer that says so, the client's address is forwarded,
// and the admin port serves the generation loaded and a probe through to the original pods.
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startLocalNginx, type LocalNginx, type NginxPorts } from '../../helpers/nginx';
import { needsNginx } from '../../helpers/prerequisite';
import {
  originProbePath,
  probeHeaders,
  renderRouterConfig,
  routerErrorHeader,
  routesPath,
  type RouterConfigInput,
} from '../../../src/routing/nginx-config';

const k1 = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1';
const k2 = 'BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB2';
const k3 = 'CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC3';
const k4 = 'DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD4';
const nginxMissing = needsNginx();

describe('router upstreams by address', () => {
  it('names no host in any upstream once the addresses are known', () => {
    const c = renderRouterConfig({
      namespace: 'shop',
      service: 'ratings',
      adminPort: 15021,
      originAddress: '10.96.0.10',
      generation: 3,
      ports: [
        { name: 'http', port: 80, listen: 8080, protocol: 'http' },
        { name: 'db', port: 5432, listen: 5432, protocol: 'tcp' },
      ],
      routes: [{ session: 's1', routeKey: k1, devService: 'ratings-dl-s1', devAddress: 'fd00::1' }],
    });
    assert.doesNotMatch(c, /svc\.cluster\.local/);
    assert.match(c, /server 10\.96\.0\.10:80;/);
    assert.match(c, /server \[fd00::1\]:80;/);
    assert.match(c, /proxy_pass 10\.96\.0\.10:5432;/);
    assert.match(c, /# generation: 3/);
  });
});

describe('a real nginx with the router config', { skip: nginxMissing }, () => {
  const seen: http.IncomingHttpHeaders[] = [];
  let origin: http.Server;
  let copy: http.Server;
  let ngx: LocalNginx | undefined;
  let front = 0;
  let admin = 0;
  let servicePort = 0;

  before(async () => {
    // The Service port is the same on every address, as on a cluster: origin on 127.0.0.1, the
    // live copy on 127.0.0.2, and a copy whose Service is gone on 127.0.0.3 (nothing listens there).
    origin = await listen('127.0.0.1', 0, (req, res) => (seen.push(req.headers), res.end('origin')));
    servicePort = (origin.address() as { port: number }).port;
    copy = await listen('127.0.0.2', servicePort, (_req, res) => res.end('copy'));
    const input = (ports: NginxPorts): RouterConfigInput => ({
      namespace: 'shop',
      service: 'ratings',
      adminPort: ports.admin,
      originAddress: '127.0.0.1',
      generation: 7,
      ports: [{ name: 'http', port: servicePort, listen: ports.front, protocol: 'http' }],
      routes: [
        { session: 's1', routeKey: k1, devService: 'ratings-dl-s1', devAddress: '127.0.0.2' },
        { session: 'gone', routeKey: k2, devService: 'ratings-dl-gone', devAddress: '127.0.0.3' },
        { session: 'later', routeKey: k3, devService: 'ratings-dl-later', devAddress: '127.0.0.6' },
        { session: 'reads', routeKey: k4, devService: 'ratings-dl-reads', devAddress: '127.0.0.7' },
      ],
    });
    ngx = await startLocalNginx(
      (ports) => renderRouterConfig(input(ports)),
      (ports) =>
        request(ports.front, '/').then(
          () => true,
          () => false,
        ),
    );
    ({ front, admin } = ngx);
  });

  after(async () => {
    await ngx?.stop();
    for (const s of [origin, copy]) {
      s?.closeAllConnections();
      s?.close();
    }
  });

  it('serves un-keyed requests from the original and keyed ones from the live copy', async () => {
    assert.equal((await request(front, '/')).body, 'origin');
    assert.equal((await request(front, '/', { 'x-devlane-route': k1 })).body, 'copy');
  });

  it('tells route keys apart by case (base64url)', async () => {
    assert.equal((await request(front, '/', { 'x-devlane-route': k1.toLowerCase() })).body, 'origin');
  });

  it('answers a key whose copy is gone with a 502 that names the copy, once the hold chain gives up', async () => {
    const r = await request(front, '/', { 'x-devlane-route': k2 });
    assert.equal(r.status, 502);
    assert.equal(r.headers[routerErrorHeader], 'unreachable');
    assert.equal(r.headers['x-devlane-copy'], 'gone');
    assert.match(r.body, /developer copy of session gone \(Service ratings-dl-gone\)/);
  });

  it('holds a keyed request while nothing listens for the copy, and sends it once the copy is back', async () => {
    // As while a copy restarts after a save: the port refuses, then the new process listens.
    const pending = request(front, '/held', { 'x-devlane-route': k3 }, 'POST', 'refused, so held');
    await new Promise((r) => setTimeout(r, 400));
    const late = await listen('127.0.0.6', servicePort, (req, res) =>
      res.end(`late ${req.method} ${req.url} ${req.headers['x-forwarded-for']}`),
    );
    try {
      const r = await pending;
      assert.equal(r.status, 200);
      assert.equal(
        r.body,
        'late POST /held 127.0.0.1',
        'a refused POST reached nothing, so it is held and sent once the copy listens, with the client address the front hop saw',
      );
      assert.equal(r.headers['x-devlane-copy'], 'later');
    } finally {
      late.closeAllConnections();
      late.close();
    }
  });

  it('never sends again a POST the copy may have read', async () => {
    // A copy that reads the request and drops the connection: a retry could run the POST twice.
    let posts = 0;
    const dropper = net.createServer((socket) => {
      socket.once('data', (d) => {
        if (d.toString().startsWith('POST')) posts++;
        socket.resetAndDestroy();
      });
    });
    await new Promise<void>((resolve) => dropper.listen(servicePort, '127.0.0.7', resolve));
    try {
      const r = await request(front, '/once', { 'x-devlane-route': k4 }, 'POST', 'pay');
      assert.equal(r.status, 502);
      assert.equal(posts, 1, 'the POST reached the copy exactly once');
    } finally {
      dropper.close();
    }
  });

  it('forwards the client address and scheme to the original', async () => {
    seen.length = 0;
    await request(front, '/', { 'x-forwarded-for': '203.0.113.9' });
    assert.equal(seen[0]['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
    assert.equal(seen[0]['x-forwarded-proto'], 'http');
    assert.equal(seen[0]['x-real-ip'], '127.0.0.1');
  });

  it('serves the generation it loaded on the admin port', async () => {
    assert.match((await request(admin, routesPath)).body, /^generation 7 [0-9a-f]{16}\n$/);
  });

  it('probes through to the original pods on the admin port', async () => {
    const r = await request(admin, originProbePath(servicePort));
    assert.equal(r.body, 'origin');
    assert.match(String(r.headers[probeHeaders.connect]), /^\d+\.\d+$/, 'a response head came back');
    assert.equal(r.headers[probeHeaders.status], '200');
  });
});

describe('an origin probe when nothing answers', { skip: nginxMissing }, () => {
  it('says no answer came when the connection is refused', () => probeNothing('127.0.0.4', 1));

  it('says no answer came when a proxy in between accepts the connection and drops it', async () => {
    // As a userspace service proxy does for pods that refuse the connection.
    const dropper = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => dropper.listen(0, '127.0.0.5', resolve));
    try {
      await probeNothing('127.0.0.5', (dropper.address() as net.AddressInfo).port);
    } finally {
      dropper.close();
    }
  });

  async function probeNothing(address: string, port: number): Promise<void> {
    const ngx = await startLocalNginx(
      ({ front, admin }) =>
        renderRouterConfig({
          namespace: 'shop',
          service: 'ratings',
          adminPort: admin,
          originAddress: address,
          ports: [{ port, listen: front, protocol: 'http' }],
          routes: [],
        }),
      ({ admin }) =>
        request(admin, routesPath).then(
          () => true,
          () => false,
        ),
    );
    try {
      const r = await request(ngx.admin, originProbePath(port));
      assert.equal(r.headers[probeHeaders.connect], '-');
      const plain = await request(ngx.front, '/');
      assert.equal(plain.status, 502);
      assert.match(plain.body, /the original pods \(Service ratings-devlane-origin\)/);
    } finally {
      await ngx.stop();
    }
  }
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}
function request(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    http
      .request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      })
      .on('error', reject)
      .end(body);
  });
}
function listen(host: string, port: number, handler: http.RequestListener): Promise<http.Server> {
  return new Promise((resolve, reject) => {
    const s = http.createServer(handler);
    s.once('error', reject);
    s.listen(port, host, () => resolve(s));
  });
}
