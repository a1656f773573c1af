import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as net from 'node:net';
import { PassThrough, type Duplex } from 'node:stream';
import { Exec } from '@kubernetes/client-node';
import type { KObject } from '../../../../sandbox/core/types';
import { condition, containerStatus, startHarness, type Harness } from './harness';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h.stop();
});

test('a pod runs and becomes Ready through its readiness probe', async () => {
  h.createPod({
    metadata: { name: 'web' },
    spec: {
      containers: [
        {
          name: 'web',
          image: 'node:20',
          command: [
            'node',
            '-e',
            "require('http').createServer((q,s)=>s.end(q.url==='/ready'?'ok':'hi')).listen(8080, () => console.log('listening'))",
          ],
          ports: [{ name: 'http', containerPort: 8080 }],
          readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 1 },
        },
      ],
    },
  });
  const p = await h.waitPod('web', (p) => condition(p, 'Ready') === 'True', 'Ready');
  assert.equal(p.status.phase, 'Running');
  const cs = containerStatus(p, 'web')!;
  assert.equal(cs.ready, true);
  assert.equal(cs.started, true);
  assert.ok(cs.state.running.startedAt);
  assert.match(cs.containerID, /^sandbox:\/\//);
  assert.equal(cs.image, 'docker.io/library/node:20');
  assert.match(p.status.podIP, /^127\.\d+\.0\.\d+$/);
  assert.equal(p.status.qosClass, 'BestEffort');
});

test('containers of a pod share localhost; a server on 127.0.0.1 is reachable by port-forward, not through the pod IP', async () => {
  const p0 = h.createPod({
    metadata: { name: 'pair' },
    spec: {
      containers: [
        {
          name: 'server',
          image: 'node:20',
          command: [
            'node',
            '-e',
            "require('http').createServer((q,s)=>s.end('from-server')).listen(9000, '127.0.0.1')",
          ],
        },
        {
          name: 'client',
          image: 'node:20',
          command: [
            'node',
            '-e',
            "setInterval(()=>require('http').get('http://127.0.0.1:9000/',r=>{let b='';r.on('data',d=>b+=d);r.on('end',()=>console.log('got '+b))}).on('error',e=>console.log('err '+e.code)),300)",
          ],
        },
      ],
    },
  });
  const p = await h.waitPod('pair', (p) => p.status?.phase === 'Running', 'Running');
  assert.equal(p.metadata.uid, p0.metadata.uid);
  // The client container reaches the server container on 127.0.0.1.
  await waitFor(
    async () => (await logText('pair', 'client')).includes('got from-server'),
    'client log shows the answer',
  );
  // Port-forward dials 127.0.0.1 inside the pod, as the kubelet does.
  const viaLocal = await h.agent.connect(p.status.podIP, '127.0.0.1', 9000);
  viaLocal.write('GET / HTTP/1.0\r\n\r\n');
  assert.match(await readAll(viaLocal), /from-server/);
  // A Service dials the pod IP: a server bound to 127.0.0.1 is not there.
  await assert.rejects(
    h.agent.connect(p.status.podIP, p.status.podIP, 9000),
    (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED',
  );
  // And the host cannot reach the pod's loopback directly.
  await assert.rejects(
    new Promise((resolve, reject) => {
      const s = net.connect(9000, p.status.podIP, () => resolve(s));
      s.on('error', reject);
    }),
  );
});

test('configMap volume and env, downward API, $(VAR) expansion', async () => {
  h.store.create('configmaps', 'default', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cfg' },
    data: { greeting: 'hello', 'app.conf': 'v=1\n' },
  });
  h.createPod({
    metadata: { name: 'cfgpod', labels: { app: 'demo' } },
    spec: {
      volumes: [
        { name: 'conf', configMap: { name: 'cfg' } },
        { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
      ],
      containers: [
        {
          name: 'main',
          image: 'busybox:1.36',
          command: [
            'sh',
            '-c',
            'echo "G=$GREETING N=$NAME X=$(X)" \'lit=$$(Y) undef=$(UNDEFINED_VAR)\'; cat /etc/conf/app.conf; cat /etc/info/labels; echo; sleep 3600',
          ],
          env: [
            { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'greeting' } } },
            { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'X', value: '$(GREETING)-$(NAME)' },
          ],
          volumeMounts: [
            { name: 'conf', mountPath: '/etc/conf' },
            { name: 'info', mountPath: '/etc/info' },
          ],
        },
      ],
    },
  });
  await h.waitPod('cfgpod', (p) => p.status?.phase === 'Running', 'Running');
  await waitFor(async () => (await logText('cfgpod', 'main')).includes('app="demo"'), 'labels file printed');
  const log = await logText('cfgpod', 'main');
  assert.match(log, /G=hello N=cfgpod X=hello-cfgpod lit=\$\(Y\) undef=\$\(UNDEFINED_VAR\)/);
  assert.match(log, /v=1/);
  // A changed ConfigMap reaches the mounted file.
  const cm = h.store.get('configmaps', 'default', 'cfg');
  h.store.update('configmaps', 'default', { ...cm, data: { greeting: 'hello', 'app.conf': 'v=2\n' } });
  const pod = h.store.get('pods', 'default', 'cfgpod');
  const out = await execOut(pod, ['cat', '/etc/conf/app.conf']);
  assert.match(out, /v=2/);
});

test('an unknown image gives ErrImagePull, then ImagePullBackOff, with the kubelet events', async () => {
  h.createPod({
    metadata: { name: 'noimg' },
    spec: { containers: [{ name: 'c', image: 'registry.example.com/team/nosuchimage:1.0' }] },
  });
  const p = await h.waitPod(
    'noimg',
    (p) => containerStatus(p, 'c')?.state?.waiting?.reason === 'ImagePullBackOff',
    'ImagePullBackOff',
  );
  assert.equal(p.status.phase, 'Pending');
  assert.match(
    containerStatus(p, 'c')!.state.waiting.message,
    /Back-off pulling image "registry.example.com\/team\/nosuchimage:1.0"/,
  );
  const msgs = h.events('noimg').map((e) => `${e.reason}: ${e.message}`);
  assert.ok(
    msgs.some((m) =>
      /^Failed: Failed to pull image "registry.example.com\/team\/nosuchimage:1.0": .*not found/.test(m),
    ),
    msgs.join('\n'),
  );
  assert.ok(msgs.includes('Failed: Error: ErrImagePull'));
  assert.ok(msgs.includes('Failed: Error: ImagePullBackOff'));
});

async function waitFor(pred: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function logText(pod: string, container: string): Promise<string> {
  const r = await fetch(`${h.url}/api/v1/namespaces/default/pods/${pod}/log?container=${container}`);
  return r.text();
}

function readAll(s: Duplex): Promise<string> {
  return new Promise((resolve, reject) => {
    let b = '';
    s.on('data', (d) => (b += d));
    s.on('end', () => resolve(b));
    s.on('error', reject);
  });
}

async function execOut(pod: KObject, command: string[]): Promise<string> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d) => (text += d));
  await new Promise<void>((resolve, reject) => {
    void new Exec(h.kc).exec(
      'default',
      pod.metadata.name!,
      pod.spec.containers[0].name,
      command,
      out,
      null,
      null,
      false,
      (st) => {
        if (st.status === 'Success') resolve();
        else reject(new Error(JSON.stringify(st)));
      },
    );
  });
  return text;
}
