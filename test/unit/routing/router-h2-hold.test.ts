// A real nginx with the router's config on an HTTP/2 port (gRPC, h2c): a keyed request that finds its
// copy restarting (nothing listens) waits for it; a call the copy read is never sent again; a copy
// that never comes back is reported in gRPC's terms to a gRPC client. The copies and the client speak
// h2c with Node's http2 module; a unary gRPC call is hand-framed (no gRPC library).
import assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import { after, before, describe, it } from 'node:test';
import { startLocalNginx, type LocalNginx } from '../../helpers/nginx';
import { needsNginx } from '../../helpers/prerequisite';
import {
  grpcUnavailable,
  renderRouterConfig,
  routerErrorHeader,
  type RouterRoute,
} from '../../../src/routing/nginx-config';

const later = 'LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL1';
const reads = 'RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR2';
const gone = 'GGGGGGGGGGGGGGGGGGGGGGGGGGGGGGG3';
const plain = 'PPPPPPPPPPPPPPPPPPPPPPPPPPPPPPP4';

describe('a real nginx with the router config on an HTTP/2 port', { skip: needsNginx() }, () => {
  let origin: http2.Http2Server;
  let ngx: LocalNginx | undefined;
  let servicePort = 0;

  before(async () => {
    // As on a cluster, every Service listens on the same port: the origin on 127.0.0.1; the copy
    // that comes back later on 127.0.0.6, the one that drops what it read on 127.0.0.7, the one
    // that never comes back on 127.0.0.3.
    origin = await listenH2('127.0.0.1', 0, (stream) => answer(stream, 'origin'));
    servicePort = (origin.address() as { port: number }).port;
    ngx = await startLocalNginx(
      ({ front, admin }) =>
        grpcRouter(front, admin, servicePort, '127.0.0.1', [
          { session: 'later', routeKey: later, devService: 'ratings-dl-later', devAddress: '127.0.0.6' },
          { session: 'reads', routeKey: reads, devService: 'ratings-dl-reads', devAddress: '127.0.0.7' },
          { session: 'gone', routeKey: gone, devService: 'ratings-dl-gone', devAddress: '127.0.0.3' },
          { session: 'plain', routeKey: plain, devService: 'ratings-dl-plain', devAddress: '127.0.0.8' },
        ]),
      ({ front }) =>
        call(front, {}).then(
          (r) => r.body === 'origin',
          () => false,
        ),
    );
  });

  after(async () => {
    await ngx?.stop();
    await closeH2(origin);
  });

  it('sends un-keyed calls to the original, as before', async () => {
    const r = await call(ngx!.front, {});
    assert.equal(r.body, 'origin');
    assert.equal(r.trailers['grpc-status'], '0');
  });

  it('holds a keyed gRPC call while nothing listens for the copy, and sends it once the copy is back', async () => {
    const pending = call(ngx!.front, { 'x-devlane-route': later });
    await new Promise((r) => setTimeout(r, 400));
    const seen: string[] = [];
    const copy = await listenH2('127.0.0.6', servicePort, (stream, headers, message) => {
      seen.push(`${headers[':path']} ${message} ${headers['x-forwarded-for']}`);
      answer(stream, 'later');
    });
    try {
      const r = await pending;
      assert.equal(r.status, 200);
      assert.equal(r.body, 'later');
      assert.equal(r.trailers['grpc-status'], '0', "the copy's trailers reach the client");
      assert.equal(r.headers['x-devlane-copy'], 'later');
      assert.deepEqual(
        seen,
        ['/shop.Ratings/Get hello 127.0.0.1'],
        'the call reached the copy once, whole, with the client address the front hop saw',
      );
    } finally {
      await closeH2(copy);
    }
  });

  it('holds a plain h2c request the same way', async () => {
    const pending = call(ngx!.front, { 'x-devlane-route': plain }, { ':method': 'GET', 'content-type': 'text/plain' });
    await new Promise((r) => setTimeout(r, 400));
    const copy = await listenH2('127.0.0.8', servicePort, (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'text/plain' });
      stream.end('plain copy');
    });
    try {
      const r = await pending;
      assert.equal(r.status, 200);
      assert.equal(r.raw, 'plain copy');
      assert.equal(r.headers['x-devlane-copy'], 'plain');
    } finally {
      await closeH2(copy);
    }
  });

  it('never sends again a call the copy may have read', async () => {
    // A copy that reads the call and resets the stream (a crash mid-call): a second try could run it twice.
    let calls = 0;
    const dropper = await listenH2('127.0.0.7', servicePort, (stream) => {
      calls++;
      stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    });
    try {
      const r = await call(ngx!.front, { 'x-devlane-route': reads });
      assert.equal(r.trailers['grpc-status'], String(grpcUnavailable));
      assert.equal(calls, 1, 'the call reached the copy exactly once');
    } finally {
      await closeH2(dropper);
    }
  });

  it('tells a gRPC client UNAVAILABLE, naming the copy, when the copy never comes back', async () => {
    const r = await call(ngx!.front, { 'x-devlane-route': gone });
    assert.equal(r.status, 200, 'gRPC carries its status in trailers, not in the HTTP status');
    assert.match(String(r.headers['content-type']), /^application\/grpc/);
    assert.equal(r.headers[routerErrorHeader], 'unreachable');
    assert.equal(r.headers['x-devlane-copy'], 'gone');
    assert.equal(r.trailers['grpc-status'], String(grpcUnavailable));
    assert.match(
      String(r.trailers['grpc-message']),
      /no answer from the developer copy of session gone \(Service ratings-dl-gone\) within 10 s/,
    );
    assert.equal(r.body, '', 'no message, no HTML');
  });

  it('answers a plain HTTP/2 request to a copy that never comes back with a 502 in text', async () => {
    const r = await call(ngx!.front, { 'x-devlane-route': gone }, { ':method': 'GET', 'content-type': 'text/plain' });
    assert.equal(r.status, 502);
    assert.match(r.raw, /no answer from the developer copy of session gone/);
  });
});

describe('a gRPC call to an original that does not answer', { skip: needsNginx() }, () => {
  it('gets UNAVAILABLE naming the original pods, at once (un-keyed calls are not held)', async () => {
    // Port 1 (tcpmux) on 127.0.0.4: nothing listens, and no parallel test can take it.
    const ngx = await startLocalNginx(
      ({ front, admin }) =>
        grpcRouter(front, admin, 1, '127.0.0.4', [
          { session: 'gone', routeKey: gone, devService: 'ratings-dl-gone', devAddress: '127.0.0.3' },
        ]),
      ({ front }) =>
        call(front, {}).then(
          () => true,
          () => false,
        ),
    );
    try {
      const r = await call(ngx.front, {});
      assert.equal(r.status, 200);
      assert.equal(r.trailers['grpc-status'], String(grpcUnavailable));
      assert.equal(
        r.trailers['grpc-message'],
        'Devlane router: no answer from the original pods (Service ratings-devlane-origin)',
      );
      assert.equal(r.headers['x-devlane-copy'], undefined, "not a copy's answer");
    } finally {
      await ngx.stop();
    }
  });
});

/** The router config of Service shop/ratings with one gRPC port, its origin at `origin`. */
function grpcRouter(front: number, admin: number, port: number, origin: string, routes: RouterRoute[]): string {
  return renderRouterConfig({
    namespace: 'shop',
    service: 'ratings',
    adminPort: admin,
    originAddress: origin,
    ports: [{ name: 'grpc', port, listen: front, protocol: 'grpc' }],
    routes,
  });
}

interface Call {
  status: number;
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders;
  /** The first gRPC message's payload. */
  body: string;
  /** The whole response body as text. */
  raw: string;
}

/** A unary gRPC call (POST, application/grpc, one length-prefixed message "hello") over h2c, or another request. */
function call(port: number, headers: Record<string, string>, override: Record<string, string> = {}): Promise<Call> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const req = session.request({
      ':method': 'POST',
      ':path': '/shop.Ratings/Get',
      'content-type': 'application/grpc',
      te: 'trailers',
      ...headers,
      ...override,
    });
    let head: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    req.on('response', (h) => (head = h));
    req.on('trailers', (t) => (trailers = t));
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('error', (e) => (session.close(), reject(e)));
    req.on('end', () => {
      session.close();
      const raw = Buffer.concat(chunks);
      resolve({
        status: Number(head[':status']),
        headers: head,
        trailers,
        body: raw.length >= 5 && head['content-type'] !== 'text/plain' ? unframe(raw) : '',
        raw: raw.toString(),
      });
    });
    req.end(override[':method'] === 'GET' ? undefined : frame('hello'));
  });
}

/** gRPC's length-prefixed message: not compressed, 4-byte big-endian length, payload. */
function frame(text: string): Buffer {
  const payload = Buffer.from(text);
  const head = Buffer.alloc(5);
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}
function unframe(b: Buffer): string {
  return b.subarray(5, 5 + b.readUInt32BE(1)).toString();
}

const sessions = new WeakMap<http2.Http2Server, Set<http2.ServerHttp2Session>>();

type Handler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, message: string) => void;

/** An h2c server whose handler is called once a request's body has been read. */
function listenH2(host: string, port: number, handler: Handler): Promise<http2.Http2Server> {
  return new Promise((resolve, reject) => {
    const s = http2.createServer();
    const open = new Set<http2.ServerHttp2Session>();
    sessions.set(s, open);
    s.on('session', (session) => (open.add(session), session.on('close', () => open.delete(session))));
    s.on('stream', (stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on('data', (d: Buffer) => chunks.push(d));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        handler(stream, headers, raw.length >= 5 ? unframe(raw) : '');
      });
      stream.on('error', () => {});
    });
    s.once('error', reject);
    s.listen(port, host, () => resolve(s));
  });
}

/** A successful unary answer: one message, then grpc-status 0 in trailers. */
function answer(stream: http2.ServerHttp2Stream, text: string): void {
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
  stream.end(frame(text));
}

/** Closes the server and every session on it (nginx keeps upstream connections alive). */
function closeH2(s: http2.Http2Server | undefined): Promise<void> {
  if (!s) return Promise.resolve();
  const closed = new Promise<void>((resolve) => s.close(() => resolve()));
  for (const session of sessions.get(s) ?? []) session.destroy();
  return closed;
}
