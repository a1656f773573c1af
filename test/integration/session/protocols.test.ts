// What the Devlane router carries besides plain requests: a WebSocket upgrade and HTTP/2 cleartext
// (h2c with prior knowledge, on a port the Service declares as h2c) follow the route key to the
// session's copy, and a non-HTTP port passes through the router to the original pods untouched.
// Against a small echo service that says which copy answered on each of its three ports.
import assert from 'node:assert/strict';
import { setMaxListeners } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { KubeClusters } from '../../../src/cluster/clusters';
import { Sessions } from '../../../src/session/sessions';
import { isSandbox, kubeconfigPath, MemoryLogger, needsCluster } from '../../helpers/cluster';
import { bindDevelopers, contexts, eventually, kubectlJson, kubectlOk, tempNamespace } from '../../helpers/kubectl';
import { startClientPod } from '../../helpers/session';

/** HTTP/1.1 with WebSocket on 8080, h2c on 8081, a line of TCP on 8082; each answers with the copy's name. */
const echoServer = `
const http = require('http'), http2 = require('http2'), net = require('net'), crypto = require('crypto');
const copy = process.env.DEVLANE_SESSION ? 'devlane:' + process.env.DEVLANE_SESSION : 'original';
const web = http.createServer((req, res) => res.end(JSON.stringify({ copy, httpVersion: req.httpVersion })));
// Clients reset their connections when done (a real network delivers the RST): never crash on it.
const quiet = (s) => s.on('error', () => {});
web.on('upgrade', (req, socket) => {
  quiet(socket);
  const accept = crypto.createHash('sha1').update(req.headers['sec-websocket-key'] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  socket.write('HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Accept: ' + accept + '\\r\\n\\r\\n');
  socket.on('data', (f) => {
    const len = f[1] & 127, mask = f.subarray(2, 6), data = Buffer.from(f.subarray(6, 6 + len).map((b, i) => b ^ mask[i % 4]));
    const reply = Buffer.from(copy + ' echoes ' + data.toString());
    socket.write(Buffer.concat([Buffer.from([0x81, reply.length]), reply]));
  });
});
web.listen(8080);
web.on('connection', quiet);
// A gRPC call (content-type application/grpc) is answered in gRPC's framing, its status in trailers.
// In a copy, POST /pause stops the h2c port for 1.5 s as a restart after a save does: the listener
// closed (connections refused) and every open connection dropped.
const h2Sessions = new Set();
const h2 = http2.createServer((req, res) => {
  if (req.url === '/pause' && process.env.DEVLANE_SESSION) {
    res.end('pausing');
    setTimeout(() => { h2.close(); for (const s of h2Sessions) s.destroy(); setTimeout(() => h2.listen(8081), 1500); }, 100);
    return;
  }
  const answer = JSON.stringify({ copy, httpVersion: req.httpVersion });
  if (!String(req.headers['content-type']).startsWith('application/grpc')) return res.end(answer);
  req.resume();
  req.on('end', () => {
    const head = Buffer.alloc(5);
    head.writeUInt32BE(Buffer.byteLength(answer), 1);
    res.setHeader('content-type', 'application/grpc');
    res.addTrailers({ 'grpc-status': '0' });
    res.end(Buffer.concat([head, Buffer.from(answer)]));
  });
});
h2.on('connection', quiet);
h2.on('session', (s) => { h2Sessions.add(s); s.on('close', () => h2Sessions.delete(s)); });
h2.on('sessionError', () => {});
h2.listen(8081);
net.createServer((s) => { quiet(s); s.end(copy + '\\n'); }).listen(8082);
`;

const manifests = (ns: string) => [
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'echo', namespace: ns },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'echo' } },
      template: {
        metadata: { labels: { app: 'echo' } },
        spec: {
          terminationGracePeriodSeconds: 2,
          containers: [
            {
              name: 'echo',
              image: 'node:20',
              command: ['node', '-e', echoServer],
              ports: [
                { name: 'http', containerPort: 8080 },
                { name: 'h2c', containerPort: 8081 },
                { name: 'tcp-echo', containerPort: 8082 },
              ],
              readinessProbe: { tcpSocket: { port: 8082 }, periodSeconds: 1 },
            },
          ],
        },
      },
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'echo', namespace: ns },
    spec: {
      selector: { app: 'echo' },
      ports: [
        { name: 'http', port: 80, targetPort: 'http' },
        { name: 'h2c', port: 81, targetPort: 'h2c', appProtocol: 'kubernetes.io/h2c' },
        { name: 'tcp-echo', port: 82, targetPort: 'tcp-echo' },
      ],
    },
  },
];

/** Run from the client pod: a WebSocket round trip, an h2c GET, a TCP line; prints what answered. */
const probe = `
const http = require('http'), http2 = require('http2'), net = require('net'), crypto = require('crypto');
const headers = JSON.parse(process.argv[1]);
const fail = (what) => (e) => { console.log(JSON.stringify({ [what]: 'error: ' + (e.code || e.message) })); process.exit(0); };
const ws = () => new Promise((resolve) => {
  const req = http.request('http://echo:80/socket', { headers: { ...headers, Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': crypto.randomBytes(16).toString('base64') } });
  req.on('upgrade', (res, socket) => {
    const mask = crypto.randomBytes(4), payload = Buffer.from('ping');
    socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]))]));
    socket.once('data', (f) => { resolve(f.subarray(2, 2 + (f[1] & 127)).toString()); socket.destroy(); });
  });
  req.on('response', (res) => resolve('no upgrade: HTTP ' + res.statusCode));
  req.on('error', fail('websocket'));
  req.end();
});
const h2 = () => new Promise((resolve) => {
  const session = http2.connect('http://echo:81');
  session.on('error', fail('h2c'));
  const req = session.request({ ':path': '/', ...headers });
  let body = '', status = 0;
  req.on('response', (h) => (status = h[':status']));
  req.on('data', (d) => (body += d));
  req.on('end', () => { session.close(); try { resolve(JSON.parse(body)); } catch { resolve('HTTP ' + status + ': ' + body.slice(0, 80)); } });
  req.on('error', fail('h2c'));
  req.end();
});
const tcp = () => new Promise((resolve) => {
  let line = '';
  net.connect(82, 'echo').on('data', (d) => (line += d)).on('end', () => resolve(line.trim())).on('error', fail('tcp'));
});
// Each probe answers within 10 s, or says it timed out: a hang names the protocol that hung.
const within = (p) => Promise.race([p, new Promise((r) => setTimeout(() => r('timeout'), 10000))]);
(async () => { console.log(JSON.stringify({ websocket: await within(ws()), h2c: await within(h2()), tcp: await within(tcp()) })); process.exit(0); })();
`;

/** Run from the client pod: pauses the copy's h2c port (POST /pause), then makes a gRPC call while it is down; prints both outcomes. */
const heldCall = `
const http2 = require('http2');
const headers = JSON.parse(process.argv[1]);
const call = (path) => new Promise((resolve) => {
  const session = http2.connect('http://echo:81');
  session.on('error', (e) => resolve({ error: e.code || e.message }));
  const req = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...headers });
  let status = 0, trailers = {};
  const chunks = [];
  req.on('response', (h) => (status = h[':status']));
  req.on('trailers', (t) => (trailers = t));
  req.on('data', (d) => chunks.push(d));
  req.on('end', () => { session.close(); const b = Buffer.concat(chunks); resolve({ status, grpcStatus: trailers['grpc-status'], body: (b.length >= 5 && b[0] === 0 ? b.subarray(5) : b).toString() }); });
  req.on('error', (e) => resolve({ error: e.code || e.message }));
  const payload = Buffer.from('hello'), head = Buffer.alloc(5);
  head.writeUInt32BE(payload.length, 1);
  req.end(Buffer.concat([head, payload]));
});
(async () => {
  const paused = await call('/pause');
  await new Promise((r) => setTimeout(r, 400));
  const held = await call('/echo.Echo/Say');
  console.log(JSON.stringify({ paused: paused.body, held }));
  process.exit(0);
})();
`;

describe('protocols through the Devlane router', needsCluster, () => {
  let ns: { name: string; cleanup: () => void };
  let client: string;
  before(async () => {
    ns = tempNamespace('dl-proto');
    for (const m of manifests(ns.name)) kubectlOk(['apply', '-f', '-'], { input: JSON.stringify(m) });
    bindDevelopers(ns.name);
    client = await startClientPod(ns.name);
    await eventually(
      'echo to be ready',
      () => (kubectlJson(['get', 'deployment', 'echo', '-n', ns.name]).status?.readyReplicas ?? 0) >= 1,
      120_000,
    );
  });
  after(() => ns?.cleanup());

  const run = (headers: Record<string, string>) =>
    JSON.parse(kubectlOk(['exec', '-n', ns.name, client, '--', 'node', '-e', probe, JSON.stringify(headers)]));
  const cmp = (x: Record<string, unknown>) => x;

  it('carries WebSocket and h2c by route key, and a TCP port to the original', async () => {
    // A Deployment is available before its Service's endpoints reach every node's proxy (on a real
    // cluster): wait for the answer itself.
    await eventually(
      'echo to answer through its Service',
      () => (
        assert.deepEqual(
          cmp(run({})),
          cmp({ websocket: 'original echoes ping', h2c: { copy: 'original', httpVersion: '2.0' }, tcp: 'original' }),
          'before any session',
        ),
        true
      ),
      60_000,
    );
    const clusters = new KubeClusters(
      { setting: () => kubeconfigPath, env: {} },
      { logger: new MemoryLogger(), idleMs: 0 },
    );
    const conn = clusters.connection(contexts.alice);
    const sessions = new Sessions({
      api: conn.objects,
      context: contexts.alice,
      namespace: ns.name,
      participant: conn.context.user,
      logger: new MemoryLogger(),
    });
    const signal = AbortSignal.timeout(240_000);
    setMaxListeners(200, signal);
    try {
      const s = await sessions.start({ service: 'echo', session: 'proto' }, signal);
      s.heartbeat.dispose();
      assert.equal(s.strategy, 'router');
      // Every port of echo now goes through the router.
      assert.deepEqual(kubectlJson(['get', 'service', 'echo', '-n', ns.name]).spec.selector, {
        'devlane.dev/role': 'router',
        'devlane.dev/service': 'echo',
      });
      // The router's byte-stream port may take a moment longer than its HTTP ports on a real cluster.
      await eventually(
        'every protocol to follow the route',
        () => (
          assert.deepEqual(
            cmp(run({ 'x-devlane-route': s.routeKey })),
            cmp({
              websocket: 'devlane:proto echoes ping',
              h2c: { copy: 'devlane:proto', httpVersion: '2.0' },
              tcp: 'original',
            }),
          ),
          true
        ),
        30_000,
      );
      assert.deepEqual(
        cmp(run({ baggage: `devlane=${s.routeKey}` })),
        cmp({
          websocket: 'devlane:proto echoes ping',
          h2c: { copy: 'devlane:proto', httpVersion: '2.0' },
          tcp: 'original',
        }),
      );
      assert.deepEqual(
        cmp(run({})),
        cmp({ websocket: 'original echoes ping', h2c: { copy: 'original', httpVersion: '2.0' }, tcp: 'original' }),
      );
      // A gRPC call that finds the copy's port closed, as while it restarts after a save, waits for
      // it instead of failing: it was refused, so nothing of it reached the copy before. The
      // sandbox's pod network accepts a connection for a pod that refuses it and then resets it
      // (sandbox/node/README.md), so there the router cannot tell the refusal from a copy that read
      // the call and dropped it, and does not send it again: the call ends UNAVAILABLE.
      const held = JSON.parse(
        kubectlOk([
          'exec',
          '-n',
          ns.name,
          client,
          '--',
          'node',
          '-e',
          heldCall,
          JSON.stringify({ 'x-devlane-route': s.routeKey }),
        ]),
      );
      assert.deepEqual(held, {
        paused: 'pausing',
        held: isSandbox
          ? { status: 200, grpcStatus: '14', body: '' }
          : { status: 200, grpcStatus: '0', body: JSON.stringify({ copy: 'devlane:proto', httpVersion: '2.0' }) },
      });
      // The copy is back: calls reach it at once.
      await eventually(
        'the copy to listen again',
        () => (
          assert.deepEqual(cmp(run({ 'x-devlane-route': s.routeKey })).h2c, {
            copy: 'devlane:proto',
            httpVersion: '2.0',
          }),
          true
        ),
        30_000,
      );
      await sessions.stop('proto', signal);
    } finally {
      clusters.dispose();
    }
    assert.deepEqual(
      cmp(run({ 'x-devlane-route': 'x' })),
      cmp({ websocket: 'original echoes ping', h2c: { copy: 'original', httpVersion: '2.0' }, tcp: 'original' }),
      'after the session',
    );
  });
});
