import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff, goDuration } from '../../../../sandbox/node/backoff';
import { expand, serviceEnv } from '../../../../sandbox/node/env';
import { containerArgv, defaultPullPolicy, fullImageName, parseImageRef } from '../../../../sandbox/node/images';
import { indexToIP } from '../../../../sandbox/node/ipam';
import { parsePorts } from '../../../../sandbox/node/portforward';
import { phaseOf, qosClass } from '../../../../sandbox/node/status';
import { negotiate, EXEC_PROTOCOLS, PORTFORWARD_PROTOCOLS } from '../../../../sandbox/node/wsproto';

test('$(VAR) expansion as Kubernetes does it', () => {
  const vars: Record<string, string> = { A: 'x', B: 'y' };
  const f = (n: string) => vars[n];
  assert.equal(expand('$(A)-$(B)', f), 'x-y');
  assert.equal(expand('$$(A)', f), '$(A)');
  assert.equal(expand('$(MISSING)', f), '$(MISSING)');
  assert.equal(expand('$A $', f), '$A $');
  assert.equal(expand('$(A', f), '$(A');
});

test('image references map to folders by their last path segment', () => {
  assert.deepEqual(parseImageRef('node'), { registry: 'docker.io', repository: 'library/node', name: 'node' });
  assert.equal(parseImageRef('docker.io/library/python:3.11-slim').name, 'python');
  assert.equal(parseImageRef('localhost:5000/team/nginx:1.25@sha256:abc').name, 'nginx');
  assert.equal(fullImageName(parseImageRef('busybox')), 'docker.io/library/busybox:latest');
  assert.equal(fullImageName(parseImageRef('ghcr.io/a/b:1')), 'ghcr.io/a/b:1');
  assert.equal(defaultPullPolicy('node'), 'Always');
  assert.equal(defaultPullPolicy('node:latest'), 'Always');
  assert.equal(defaultPullPolicy('node:20'), 'IfNotPresent');
});

test('command/args combine with entrypoint/cmd as Kubernetes defines', () => {
  const img = { entrypoint: ['ep'], cmd: ['c1'], workingDir: '/', env: [] };
  assert.deepEqual(containerArgv(img, undefined, undefined), ['ep', 'c1']);
  assert.deepEqual(containerArgv(img, undefined, ['a']), ['ep', 'a']);
  assert.deepEqual(containerArgv(img, ['cmd'], undefined), ['cmd']);
  assert.deepEqual(containerArgv(img, ['cmd'], ['a']), ['cmd', 'a']);
});

test('service link variables', () => {
  const env = Object.fromEntries(
    serviceEnv({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'my-svc' },
      spec: { clusterIP: '127.1.128.5', ports: [{ name: 'http', port: 80 }] },
    }),
  );
  assert.equal(env.MY_SVC_SERVICE_HOST, '127.1.128.5');
  assert.equal(env.MY_SVC_SERVICE_PORT, '80');
  assert.equal(env.MY_SVC_SERVICE_PORT_HTTP, '80');
  assert.equal(env.MY_SVC_PORT, 'tcp://127.1.128.5:80');
  assert.equal(env.MY_SVC_PORT_80_TCP_ADDR, '127.1.128.5');
});

test('back-off: immediate, then 10s doubling to 5m, reset after 10 minutes of running', () => {
  const b = new Backoff();
  assert.deepEqual([b.delay(), b.delay(), b.delay(), b.delay()], [0, 10_000, 20_000, 40_000]);
  for (let i = 0; i < 10; i++) b.delay();
  assert.equal(b.delay(), 300_000);
  assert.equal(b.delay(600_000), 0);
  assert.equal(goDuration(80_000), '1m20s');
});

test('pod phase as the kubelet computes it', () => {
  const running = { state: { running: {} } };
  const ok = { state: { terminated: { exitCode: 0 } } };
  const bad = { state: { terminated: { exitCode: 1 } } };
  const backoff = { state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1 } } };
  assert.equal(phaseOf('Always', false, false, [running]), 'Pending');
  assert.equal(phaseOf('Always', true, false, [running, backoff]), 'Running');
  assert.equal(phaseOf('Never', true, false, [ok, bad]), 'Failed');
  assert.equal(phaseOf('OnFailure', true, false, [ok]), 'Succeeded');
  assert.equal(phaseOf('Always', true, false, [{ state: { waiting: { reason: 'ContainerCreating' } } }]), 'Pending');
  assert.equal(
    qosClass({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {},
      spec: { containers: [{ resources: { limits: { cpu: '1', memory: '1Gi' } } }] },
    }),
    'Guaranteed',
  );
});

test('pod IPs stay in the lower half of the block and skip .0/.255', () => {
  assert.equal(indexToIP(42, 1), '127.42.0.1');
  assert.equal(indexToIP(42, 255), undefined);
  assert.equal(indexToIP(42, 256), undefined);
  assert.equal(indexToIP(42, 257), '127.42.1.1');
  assert.equal(indexToIP(42, 128 * 256 + 1), undefined);
});

test('protocol negotiation and port-forward ports', () => {
  assert.equal(negotiate(['v5.channel.k8s.io', 'v4.channel.k8s.io'], EXEC_PROTOCOLS).protocol, 'v5.channel.k8s.io');
  assert.equal(
    negotiate(['v5.channel.k8s.io', 'v4.channel.k8s.io'], PORTFORWARD_PROTOCOLS).protocol,
    'v4.channel.k8s.io',
  );
  assert.deepEqual(parsePorts(new URLSearchParams('ports=80,8080&ports=9000')), [80, 8080, 9000]);
  assert.throws(() => parsePorts(new URLSearchParams('ports=0')), /must be > 0/);
});
