import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PassThrough } from 'node:stream';
import { Exec } from '@kubernetes/client-node';
import { containerStatus, startHarness, type Harness } from './harness';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h.stop();
});

async function run(pod: string, command: string[]): Promise<{ out: string; status: Record<string, unknown> }> {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (d) => (out += d));
  const status = await new Promise<Record<string, unknown>>((resolve) => {
    void new Exec(h.kc).exec('default', pod, 'c', command, stdout, stdout, null, false, (s) =>
      resolve(s as Record<string, unknown>),
    );
  });
  return { out, status };
}

test('nginx serves its default page on port 80 through the pod IP', async () => {
  h.createPod({
    metadata: { name: 'nginx' },
    spec: {
      containers: [{ name: 'c', image: 'nginx:1.25', readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 1 } }],
    },
  });
  const p = await h.waitPod('nginx', (p) => containerStatus(p, 'c')?.ready === true, 'ready');
  const s = await h.agent.connect(p.status.podIP, p.status.podIP, 80);
  s.write('GET / HTTP/1.0\r\n\r\n');
  const text = await new Promise<string>((r) => {
    let b = '';
    s.on('data', (d) => (b += d));
    s.on('end', () => r(b));
  });
  assert.match(text, /^HTTP\/1.1 200 OK/);
  assert.match(text, /Welcome to nginx/);
});

test('python image: python and python -m debugpy work', async () => {
  h.createPod({
    metadata: { name: 'py' },
    spec: { containers: [{ name: 'c', image: 'python:3.11-slim', command: ['sleep', '3600'] }] },
  });
  await h.waitPod('py', (p) => containerStatus(p, 'c')?.state?.running !== undefined, 'running');
  const r = await run('py', ['python', '-m', 'debugpy', '--version']);
  assert.equal(r.status.status, 'Success', r.out);
  assert.match(r.out, /^\d+\.\d+/);
});

test('golang image: Go in /usr/local/go, GOPATH /go, dlv, and an offline build of a stdlib-only module', async () => {
  h.createPod({
    metadata: { name: 'go' },
    spec: { containers: [{ name: 'c', image: 'golang:1.26', command: ['sleep', '3600'] }] },
  });
  await h.waitPod('go', (p) => containerStatus(p, 'c')?.state?.running !== undefined, 'running', 'default', 300_000);
  const env = await run('go', ['go', 'env', 'GOROOT', 'GOPATH', 'GOPROXY', 'GOTOOLCHAIN', 'GOCACHE']);
  assert.equal(env.status.status, 'Success', env.out);
  assert.equal(env.out, '/usr/local/go\n/go\noff\nlocal\n/root/.cache/go-build\n');
  const dlv = await run('go', ['dlv', 'version']);
  assert.match(dlv.out, /Version: 1\.27\.2/);
  const script =
    'mkdir -p /tmp/hello && cd /tmp/hello && printf "module hello\\ngo 1.26\\n" > go.mod && ' +
    'printf "package main\\nimport \\"os\\"\\nfunc main() { os.Stdout.WriteString(\\"built here\\") }\\n" > main.go && ' +
    'go build -o app . && ./app && echo && command -v sh && command -v tar';
  const built = await run('go', ['sh', '-c', script]);
  assert.equal(built.status.status, 'Success', built.out);
  assert.equal(built.out, 'built here\n/usr/bin/sh\n/usr/bin/tar\n');
});

test("a pod dialling a Service ClusterIP:port reaches the Service network's socket; /etc/hosts follows changes", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'svc-stub-'));
  const sock = join(dir, 'svc.sock');
  const proxy = net.createServer((c) => c.end('from-service-proxy\n'));
  await new Promise<void>((r) => proxy.listen(sock, r));
  const octet = Number(/^127\.(\d+)\./.exec((await h.waitPod('py', () => true, 'exists')).status.podIP)![1]);
  const ip = `127.${octet}.128.9`;
  try {
    h.services.set(
      [{ namespace: 'default', service: 'backend', ip, port: 8081, protocol: 'TCP', socketPath: sock }],
      `${ip}\tbackend backend.default backend.default.svc backend.default.svc.cluster.local\n`,
    );
    let out = '';
    for (let i = 0; i < 50 && !out.includes('from-service-proxy'); i++) {
      out = (
        await run('py', [
          'python',
          '-c',
          "import socket; s=socket.create_connection(('backend.default.svc.cluster.local', 8081)); print(s.recv(100).decode())",
        ])
      ).out;
      if (!out.includes('from-service-proxy')) await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(out, /from-service-proxy/);
    const hosts = (await run('py', ['cat', '/etc/hosts'])).out;
    assert.match(hosts, new RegExp(`${ip.replace(/\./g, '\\.')}\\tbackend backend\\.default`));
    assert.match(hosts, /\tpy\n/);
  } finally {
    h.services.set([], '');
    proxy.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
