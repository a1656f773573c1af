// The sandbox through @kubernetes/client-node, as Devlane's src/cluster/ uses it: typed APIs,
// watches that recover from 410 Gone, exec and port-forward over WebSocket.

import * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  contexts,
  eventually,
  isSandbox,
  kubeconfig,
  kubectlJson,
  kubectlOk,
  tempNamespace,
} from '../../helpers/kubectl';
import { fault } from '../../helpers/sandbox';

function config(context = contexts.admin): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig());
  kc.setCurrentContext(context);
  return kc;
}

describe('@kubernetes/client-node against the cluster', () => {
  let ns: string;
  let cleanup: () => void;
  const kc = config();
  const core = kc.makeApiClient(k8s.CoreV1Api);

  before(async () => {
    ({ name: ns, cleanup } = tempNamespace('dl-client'));
    kubectlOk(['apply', '-n', ns, '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'web' },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'main',
              image: 'node:22-slim',
              command: [
                'node',
                '-e',
                "require('http').createServer((q,s)=>s.end('hello '+q.url)).listen(8080,'127.0.0.1')",
              ],
            },
          ],
        },
      }),
    });
    await eventually(
      'pod running',
      () => kubectlJson(['get', 'pod', 'web', '-n', ns]).status?.containerStatuses?.[0]?.state?.running,
    );
  });
  after(() => cleanup());

  it('creates, reads and lists with typed APIs, and reports a conflict as 409', async () => {
    const created = await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'typed' }, data: { a: '1' } },
    });
    assert.ok(created.metadata?.resourceVersion);
    const list = await core.listNamespacedConfigMap({ namespace: ns, labelSelector: '!nothing' });
    assert.ok(list.items.some((c) => c.metadata?.name === 'typed'));
    await core.replaceNamespacedConfigMap({ namespace: ns, name: 'typed', body: { ...created, data: { a: '2' } } });
    await assert.rejects(
      core.replaceNamespacedConfigMap({ namespace: ns, name: 'typed', body: { ...created, data: { a: '3' } } }),
      (err: { code?: number }) => err.code === 409,
    );
  });

  it(
    'keeps an informer cache equal to the server across dropped watches and 410 Gone',
    { skip: !isSandbox() && 'needs sandbox fault injection' },
    async () => {
      const path = `/api/v1/namespaces/${ns}/configmaps`;
      const informer = k8s.makeInformer(kc, path, () => core.listNamespacedConfigMap({ namespace: ns }));
      let stopped = false;
      informer.on('error', () => {
        // As the client-node docs advise: restart after an error (but not once the test stopped it).
        setTimeout(() => void (stopped || informer.start().catch(() => {})), 200);
      });
      await informer.start();
      try {
        kubectlOk(['create', 'configmap', 'before-faults', '-n', ns]);
        await eventually('informer sees before-faults', () =>
          informer.list().some((c) => c.metadata?.name === 'before-faults'),
        );
        await fault({ kind: 'expire-history' });
        await fault({ kind: 'drop-watches' });
        kubectlOk(['create', 'configmap', 'after-faults', '-n', ns]);
        kubectlOk(['delete', 'configmap', 'before-faults', '-n', ns]);
        await eventually(
          'informer cache equals the server',
          () => {
            const cached = informer
              .list()
              .map((c) => c.metadata!.name)
              .sort()
              .join(',');
            const server = kubectlJson<{ items: { metadata: { name: string } }[] }>(['get', 'configmaps', '-n', ns])
              .items.map((c) => c.metadata.name)
              .sort()
              .join(',');
            return cached === server && cached.includes('after-faults') && !cached.includes('before-faults');
          },
          30_000,
        );
      } finally {
        stopped = true;
        await informer.stop();
      }
    },
  );

  it('runs a command with exec, with stdin, and reports its exit status', async () => {
    const exec = new k8s.Exec(kc);
    let out = '';
    const stdout = new Writable({
      write: (c, _e, cb) => {
        out += c;
        cb();
      },
    });
    const stdin = new PassThrough();
    const status = await new Promise<k8s.V1Status>((resolve, reject) => {
      exec
        .exec(ns, 'web', 'main', ['sh', '-c', 'cat; exit 4'], stdout, null, stdin, false, (s) => resolve(s))
        .catch(reject);
      stdin.end('typed input');
    });
    assert.equal(out, 'typed input');
    assert.equal(status.status, 'Failure');
    assert.equal(status.details?.causes?.find((c) => c.reason === 'ExitCode')?.message, '4');
  });

  it('forwards a local port to a server bound to 127.0.0.1 inside the pod', async () => {
    const pf = new k8s.PortForward(kc);
    const server = net.createServer((socket) => {
      void pf.portForward(ns, 'web', [8080], socket, null, socket);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const body = await new Promise<string>((resolve, reject) => {
        http
          .get(`http://127.0.0.1:${port}/through-the-tunnel`, (res) => {
            let b = '';
            res.on('data', (d) => (b += d));
            res.on('end', () => resolve(b));
          })
          .on('error', reject);
      });
      assert.equal(body, 'hello /through-the-tunnel');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('refuses a developer what RBAC does not grant, with a 403 Status', async () => {
    const alice = config(contexts.alice).makeApiClient(k8s.CoreV1Api);
    await assert.rejects(
      alice.listNamespacedSecret({ namespace: ns }),
      (err: { code?: number; body?: string }) =>
        err.code === 403 &&
        JSON.parse(String(err.body)).message ===
          `secrets is forbidden: User "alice" cannot list resource "secrets" in API group "" in the namespace "${ns}"`,
    );
  });
});
