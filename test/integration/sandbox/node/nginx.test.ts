// The nginx:* image with a user's own nginx.conf that relies on nginx's built-in paths (Debian's
// build: temp files under /var/lib/nginx/*, logs under /var/log/nginx): it starts, and a proxied
// response large enough to be buffered to a temp file arrives whole.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { containerStatus, startHarness, type Harness } from './harness';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h.stop();
});

// No *_temp_path, pid or error_log directives: nginx's compiled-in defaults apply.
const CONF = `user root;
worker_processes 1;
events { worker_connections 64; }
http {
  access_log /var/log/nginx/access.log;
  proxy_buffers 4 4k;
  proxy_buffer_size 4k;
  client_body_buffer_size 1k;
  server {
    listen 8081;
    root /big;
    location /echo { return 200 "got $content_length\\n"; }
  }
  server {
    listen 8080;
    location / { proxy_pass http://127.0.0.1:8081; }
  }
}
`;

function request(podIP: string, raw: string): Promise<Buffer> {
  return h.agent.connect(podIP, podIP, 8080).then(
    (s) =>
      new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        s.on('data', (d: Buffer) => chunks.push(d));
        s.on('end', () => resolve(Buffer.concat(chunks)));
        s.on('error', reject);
        s.write(raw);
      }),
  );
}

test('nginx with a default-like config proxies a response and a request body through its built-in temp paths', async () => {
  h.store.create('configmaps', 'default', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'nginx-conf', namespace: 'default' },
    data: { 'nginx.conf': CONF },
  });
  h.createPod({
    metadata: { name: 'proxy' },
    spec: {
      initContainers: [
        {
          name: 'fill',
          image: 'busybox:1.36',
          command: ['sh', '-c', 'head -c 1048576 /dev/zero | tr "\\0" x > /big/big.txt'],
          volumeMounts: [{ name: 'big', mountPath: '/big' }],
        },
      ],
      containers: [
        {
          name: 'c',
          image: 'nginx:1.27',
          readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
          volumeMounts: [
            { name: 'conf', mountPath: '/etc/nginx/nginx.conf', subPath: 'nginx.conf' },
            { name: 'big', mountPath: '/big' },
          ],
        },
      ],
      volumes: [
        { name: 'conf', configMap: { name: 'nginx-conf' } },
        { name: 'big', emptyDir: {} },
      ],
    },
  });
  const p = await h.waitPod(
    'proxy',
    (p) => containerStatus(p, 'c')?.ready === true || containerStatus(p, 'c')?.lastState?.terminated !== undefined,
    'ready or crashed',
    'default',
    90_000,
  );
  if (containerStatus(p, 'c')?.ready !== true) {
    const log = await (
      await fetch(`${h.url}/api/v1/namespaces/default/pods/proxy/log?container=c&previous=true`)
    ).text();
    assert.fail(`nginx did not start: ${log}`);
  }

  const res = await request(p.status.podIP, 'GET /big.txt HTTP/1.0\r\nHost: x\r\n\r\n');
  const text = res.toString('latin1');
  assert.match(text, /^HTTP\/1.1 200 OK/);
  const body = text.slice(text.indexOf('\r\n\r\n') + 4);
  assert.equal(body.length, 1048576);
  assert.ok(/^x+$/.test(body));

  const post = await request(
    p.status.podIP,
    `POST /echo HTTP/1.0\r\nHost: x\r\nContent-Length: 65536\r\n\r\n${'y'.repeat(65536)}`,
  );
  assert.match(post.toString(), /^HTTP\/1.1 200 OK[\s\S]*got 65536/);
});
