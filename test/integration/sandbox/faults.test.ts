// The sandbox's fault injection, through `npm run sandbox -- fault ...`'s client, as the
// reliability tests of Devlane use it: a killed container restarts as after a crash, a pod
// forced unready leaves its Service's endpoints and comes back, the API can go down for a while.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, isSandbox, kubectl, kubectlJson, kubectlOk, tempNamespace } from '../../helpers/kubectl';
import { fault } from '../../helpers/sandbox';

describe('fault injection', { skip: !isSandbox() && 'needs the sandbox' }, () => {
  let ns: string;
  let cleanup: () => void;
  before(async () => {
    ({ name: ns, cleanup } = tempNamespace('dl-faults'));
    kubectlOk(['apply', '-n', ns, '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'victim', labels: { app: 'victim' } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'main',
              image: 'node:22-slim',
              command: ['node', '-e', "require('http').createServer((q,s)=>s.end('ok')).listen(8080)"],
              ports: [{ containerPort: 8080 }],
              readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
            },
          ],
        },
      }),
    });
    kubectlOk(['create', 'service', 'clusterip', 'victim', '-n', ns, '--tcp=80:8080']);
    await eventually(
      'victim Ready',
      () => kubectlJson(['get', 'pod', 'victim', '-n', ns]).status?.containerStatuses?.[0]?.ready,
    );
  });
  after(() => cleanup());

  const readyAddresses = () => {
    const ep = kubectlJson(['get', 'endpoints', 'victim', '-n', ns]);
    return (ep.subsets ?? []).flatMap((s: { addresses?: unknown[] }) => s.addresses ?? []).length;
  };

  it('kill-container: the container restarts as after a crash (SIGKILL, exit code 137)', async () => {
    await fault({ kind: 'kill-container', namespace: ns, pod: 'victim', container: 'main' });
    const cs = await eventually(
      'a restart after the kill',
      () => {
        const s = kubectlJson(['get', 'pod', 'victim', '-n', ns]).status?.containerStatuses?.[0];
        return s?.restartCount >= 1 && s.lastState?.terminated ? s : undefined;
      },
      60_000,
    );
    assert.equal(cs.lastState.terminated.exitCode, 137);
    await eventually(
      'victim Ready again',
      () => kubectlJson(['get', 'pod', 'victim', '-n', ns]).status?.containerStatuses?.[0]?.ready,
      60_000,
    );
  });

  it('unready: the pod leaves its Service endpoints while forced unready, and returns after', async () => {
    await eventually('the pod in the endpoints', () => readyAddresses() === 1);
    await fault({ kind: 'unready', namespace: ns, pod: 'victim', ms: 3000 });
    await eventually('the pod out of the endpoints', () => readyAddresses() === 0, 10_000, 100);
    const ready = kubectlJson(['get', 'pod', 'victim', '-n', ns]).status.conditions.find(
      (c: { type: string }) => c.type === 'Ready',
    );
    assert.equal(ready.status, 'False');
    await eventually('the pod back in the endpoints', () => readyAddresses() === 1, 30_000);
  });

  it('api-down: requests fail with 503 for a while, then work again', async () => {
    await fault({ kind: 'api-down', ms: 1500 });
    const during = kubectl(['get', 'pods', '-n', ns], { timeoutMs: 10_000 });
    assert.notEqual(during.code, 0);
    assert.match(during.stderr, /ServiceUnavailable|503|unavailable/i);
    await eventually('the API answering again', () => kubectl(['get', 'pods', '-n', ns]).code === 0, 20_000);
  });
});
