import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as net from 'node:net';
import { PassThrough } from 'node:stream';
import { Exec, PortForward } from '@kubernetes/client-node';
import { containerStatus, startHarness, type Harness } from './harness';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h.stop();
});

const logUrl = (pod: string, q: string) => `${h.url}/api/v1/namespaces/default/pods/${pod}/log?${q}`;

test('logs: tail, timestamps, previous, follow, and the API errors', async () => {
  h.createPod({
    metadata: { name: 'talker' },
    spec: {
      containers: [
        {
          name: 'a',
          image: 'busybox',
          command: ['sh', '-c', 'for i in 1 2 3 4 5; do echo line$i; done; sleep 1; echo late; exit 1'],
        },
        { name: 'b', image: 'busybox', command: ['sleep', '3600'] },
      ],
    },
  });
  await h.waitPod('talker', (p) => containerStatus(p, 'a')?.state?.running !== undefined, 'a running');
  // Several containers and none named: the API's 400 with its message.
  const none = await fetch(logUrl('talker', ''));
  assert.equal(none.status, 400);
  assert.equal((await none.json()).message, 'a container name must be specified for pod talker, choose one of: [a b]');
  const noPrev = await fetch(logUrl('talker', 'container=a&previous=true'));
  assert.equal(noPrev.status, 400);
  assert.equal((await noPrev.json()).message, 'previous terminated container "a" in pod "talker" not found');
  // follow: streams what comes, and ends when the container exits.
  const follow = await fetch(logUrl('talker', 'container=a&follow=true'));
  assert.equal(follow.status, 200);
  const followed = await follow.text();
  assert.match(followed, /line1\nline2\nline3\nline4\nline5\n(.|\n)*late\n$/);
  await h.waitPod('talker', (p) => (containerStatus(p, 'a')?.restartCount ?? 0) >= 1, 'a restarted');
  const tail = await (await fetch(logUrl('talker', 'container=a&previous=true&tailLines=2'))).text();
  assert.equal(tail, 'line5\nlate\n');
  const ts = await (await fetch(logUrl('talker', 'container=a&previous=true&tailLines=1&timestamps=true'))).text();
  assert.match(ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z late\n$/);
  const limited = await (await fetch(logUrl('talker', 'container=a&previous=true&limitBytes=8'))).text();
  assert.equal(limited, 'line1\nli');
});

test('exec through client-node: stdin, stdout, stderr and a non-zero exit code', async () => {
  h.createPod({
    metadata: { name: 'shell' },
    spec: {
      containers: [
        {
          name: 'c',
          image: 'busybox',
          workingDir: '/work',
          env: [{ name: 'FOO', value: 'bar' }],
          command: ['sh', '-c', 'echo hi > /work/file; sleep 3600'],
        },
      ],
    },
  });
  await h.waitPod('shell', (p) => containerStatus(p, 'c')?.state?.running !== undefined, 'running');
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const status = await new Promise<Record<string, unknown>>((resolve) => {
    void new Exec(h.kc).exec(
      'default',
      'shell',
      'c',
      ['sh', '-c', 'cat; echo "$FOO $(pwd) $(cat file)"; echo oops >&2; exit 7'],
      stdout,
      stderr,
      stdin,
      false,
      (s) => resolve(s as Record<string, unknown>),
    );
    stdin.end('from-stdin\n');
  });
  assert.equal(out, 'from-stdin\nbar /work hi\n');
  assert.equal(err, 'oops\n');
  assert.equal(status.status, 'Failure');
  assert.equal(status.reason, 'NonZeroExitCode');
  assert.deepEqual((status.details as { causes: unknown[] }).causes, [{ reason: 'ExitCode', message: '7' }]);
  // Success is a Success status.
  const ok = await new Promise<Record<string, unknown>>((resolve) => {
    void new Exec(h.kc).exec('default', 'shell', 'c', ['true'], new PassThrough(), null, null, false, (s) =>
      resolve(s as Record<string, unknown>),
    );
  });
  assert.deepEqual(ok, { metadata: {}, status: 'Success' });
});

test("port-forward through client-node reaches an undeclared port on the pod's localhost", async () => {
  h.createPod({
    metadata: { name: 'pf' },
    spec: {
      containers: [
        {
          name: 'c',
          image: 'python:3.11',
          command: [
            'python',
            '-c',
            "import http.server as h\nclass H(h.BaseHTTPRequestHandler):\n  def do_GET(s):\n    b = b'pf-ok ' + s.path.encode(); s.send_response(200); s.send_header('Content-Length', str(len(b))); s.end_headers(); s.wfile.write(b)\nh.HTTPServer(('127.0.0.1', 7070), H).serve_forever()",
          ],
        },
      ],
    },
  });
  const pod = await h.waitPod('pf', (p) => containerStatus(p, 'c')?.state?.running !== undefined, 'running');
  // Wait until the server listens (client-node leaves the local socket open when the forwarded
  // connection ends, so the response carries a Content-Length).
  for (let i = 0; ; i++) {
    const s = await h.agent.connect(pod.status.podIP, '127.0.0.1', 7070).catch(() => undefined);
    if (s) {
      s.destroy();
      break;
    }
    assert.ok(i < 600, "the pod's server never listened");
    await new Promise((res) => setTimeout(res, 100));
  }
  const pf = new PortForward(h.kc);
  const server = net.createServer((sock) => {
    void pf.portForward('default', 'pf', [7070], sock, null, sock);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const r = await fetch(`http://127.0.0.1:${port}/hello`, {
      headers: { connection: 'close' },
      signal: AbortSignal.timeout(20_000),
    });
    assert.equal(await r.text(), 'pf-ok /hello');
  } finally {
    server.close();
  }
});
