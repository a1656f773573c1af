// The pod network with ordinary servers in it: containers that listen on the wildcard address (IPv4
// and IPv6) on the same port as a Service, pods dialling each other by pod IP, and no trace of the
// pod network's rules on the host, before or after the agent stops.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PassThrough } from 'node:stream';
import { Exec } from '@kubernetes/client-node';
import { descendants } from '../../../helpers/procs';
import { containerStatus, startHarness, type Harness } from './harness';

const PORT = 8080;
const UNDECLARED = 9090;

let h: Harness;
let stubDir: string;
let stub: net.Server;
let serviceIP: string;
let stopped = false;

/** A pod whose one container answers its name on PORT (declared) and UNDECLARED, bound to `host`. */
function wildcardPod(name: string, host: string) {
  const js = `const n=require('net');for(const p of [${PORT},${UNDECLARED}])n.createServer(c=>c.end(${JSON.stringify(name)})).listen(p,${JSON.stringify(host)})`;
  return {
    metadata: { name },
    spec: {
      containers: [
        {
          name: 'c',
          image: 'node:20',
          command: ['node', '-e', js],
          ports: [{ containerPort: PORT }],
          readinessProbe: { tcpSocket: { port: PORT }, periodSeconds: 1 },
        },
      ],
    },
  };
}

/** What a TCP client in `pod` reads from host:port: the server's answer, or `ERR CODE`. */
async function dialFrom(pod: string, host: string, port: number): Promise<string> {
  const js = `const s=require('net').connect(${port},${JSON.stringify(host)});let b='';s.on('data',d=>b+=d);s.on('end',()=>console.log(b));s.on('error',e=>console.log('ERR '+e.code))`;
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (d) => (out += d));
  await new Promise((resolve) => {
    void new Exec(h.kc).exec('default', pod, 'c', ['node', '-e', js], stdout, stdout, null, false, resolve);
  });
  return out.trim();
}

/** Retries while the pod network catches up with a change (its rules are set asynchronously). */
async function settles(pod: string, host: string, port: number, want: string): Promise<string> {
  let got = '';
  for (let i = 0; i < 50 && got !== want; i++) {
    got = await dialFrom(pod, host, port);
    if (got !== want) await new Promise((r) => setTimeout(r, 100));
  }
  return got;
}

function hostTables(): string {
  const r = spawnSync('nft', ['list', 'tables'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `nft list tables failed: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  h = await startHarness();
  stubDir = mkdtempSync(join(tmpdir(), 'podnet-stub-'));
  stub = net.createServer((c) => c.end('from-service'));
  await new Promise<void>((r) => stub.listen(join(stubDir, 'svc.sock'), r));
  h.createPod(wildcardPod('wild4', '0.0.0.0'));
  h.createPod(wildcardPod('wild6', '::'));
  h.createPod({
    metadata: { name: 'quiet' },
    spec: {
      containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'], ports: [{ containerPort: 7070 }] }],
    },
  });
  await h.waitPod('wild4', (p) => containerStatus(p, 'c')?.ready === true, 'ready');
  const p = await h.waitPod('wild6', (p) => containerStatus(p, 'c')?.ready === true, 'ready');
  serviceIP = p.status.podIP.replace(/^(127\.\d+)\..*$/, '$1.128.20');
  h.services.set(
    [
      {
        namespace: 'default',
        service: 'web',
        ip: serviceIP,
        port: PORT,
        protocol: 'TCP',
        socketPath: join(stubDir, 'svc.sock'),
      },
    ],
    '',
  );
});

after(async () => {
  if (!stopped) await h.stop();
  stub.close();
  rmSync(stubDir, { recursive: true, force: true });
});

const ipOf = (name: string) => h.store.tryGet('pods', 'default', name)!.status.podIP as string;

test('a container listening on 0.0.0.0 or :: on a Service port runs, and that Service port still leads to the Service', async () => {
  for (const name of ['wild4', 'wild6']) {
    const s = containerStatus(h.store.tryGet('pods', 'default', name)!, 'c')!;
    assert.equal(s.restartCount, 0, `${name} never failed to listen`);
    assert.equal(
      await settles(name, serviceIP, PORT, 'from-service'),
      'from-service',
      `${name} dialling the Service reaches the Service, not itself`,
    );
    assert.equal(await dialFrom(name, ipOf(name), PORT), name, `${name} reaches itself on its own IP`);
  }
  assert.deepEqual(
    h.events('wild4').filter((e) => e.reason === 'PortConflict'),
    [],
  );
});

test('a pod reaches another pod by its IP on a declared port; a port not declared, or not listened on, refuses', async () => {
  assert.equal(await settles('wild4', ipOf('wild6'), PORT, 'wild6'), 'wild6');
  assert.equal(await settles('wild6', ipOf('wild4'), PORT, 'wild4'), 'wild4');
  // Both listen on UNDECLARED too: the answer must never come from the dialling pod itself.
  assert.match(await dialFrom('wild4', ipOf('wild6'), UNDECLARED), /^ERR ECONN(REFUSED|RESET)$/);
  await h.waitPod('quiet', (p) => containerStatus(p, 'c')?.state?.running !== undefined, 'running');
  assert.match(
    await dialFrom('wild4', ipOf('quiet'), 7070),
    /^ERR ECONN(REFUSED|RESET)$/,
    'a declared port nothing listens on refuses',
  );
});

test('a deleted pod is no longer reachable by its IP', async () => {
  const ip = ipOf('wild6');
  h.store.delete('pods', 'default', 'wild6', { gracePeriodSeconds: 0 });
  assert.match(await settles('wild4', ip, PORT, 'ERR ECONNREFUSED'), /^ERR ECONN(REFUSED|RESET)$/);
});

test('the pod network leaves no rules on the host and nothing behind when the agent stops', async () => {
  assert.doesNotMatch(hostTables(), /devlane-pod/, "the rules are only in the pods' network namespaces");
  await h.stop();
  stopped = true;
  assert.doesNotMatch(hostTables(), /devlane-pod/);
  assert.deepEqual(
    descendants(process.pid).map((p) => `${p.pid}: ${p.command}`),
    [],
  );
});
