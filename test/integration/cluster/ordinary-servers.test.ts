// Runs on both clusters (the copy under out/test/real/ on the real one): the sandbox must do what upstream does here.
// The most ordinary servers: a Deployment whose container listens on the wildcard address (0.0.0.0,
// and ::) on the same port as its Service, reached through the Service from another pod that itself
// listens on that port, and pods reaching each other by pod IP on a declared port. Requests are made
// from inside a pod (kubectl exec), so the same tests run against a real cluster; on the sandbox the
// Service is also dialled from the host, where the sandbox serves ClusterIPs.

import assert from 'node:assert/strict';
import * as http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { eventually, isSandbox, kubectl, kubectlJson, kubectlOk, tempNamespace } from '../../helpers/kubectl';

const PORT = 8080;

/** A node one-liner: an HTTP server answering `body` on PORT, bound to `host`. */
const serve = (body: string, host: string) =>
  `require('http').createServer((q,s)=>s.end(${JSON.stringify(body)})).listen(${PORT},${JSON.stringify(host)})`;

/** A one-line HTTP client to run inside a pod: prints the status and the body, or `ERR CODE`. */
const fetchIn = (url: string) =>
  `require('http').get(${JSON.stringify(url)},r=>{let b='';r.on('data',d=>b+=d);r.on('end',()=>console.log(r.statusCode+' '+b))}).on('error',e=>{console.log('ERR '+e.code);process.exitCode=1})`;

function deployment(name: string, host: string) {
  const labels = { app: name };
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            terminationGracePeriodSeconds: 1,
            containers: [
              {
                name: 'main',
                image: 'node:20',
                command: ['node', '-e', serve(name, host)],
                ports: [{ name: 'http', containerPort: PORT }],
                readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 1 },
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name },
      spec: { selector: labels, ports: [{ name: 'http', port: PORT, targetPort: 'http' }] },
    },
  ];
}

/** The client listens on PORT on the wildcard address too: an answer from itself would say so. */
const client = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'client' },
  spec: {
    terminationGracePeriodSeconds: 1,
    containers: [
      {
        name: 'main',
        image: 'node:20',
        command: ['node', '-e', serve('client', '0.0.0.0')],
        ports: [{ containerPort: PORT }],
      },
    ],
  },
};

function apply(ns: string, ...objs: object[]): void {
  kubectlOk(['apply', '-n', ns, '-f', '-'], { input: objs.map((o) => stringify(o)).join('---\n') });
}

function request(ns: string, url: string): string {
  const r = kubectl(['exec', '-n', ns, 'client', '--', 'node', '-e', fetchIn(url)]);
  if (r.code !== 0 && !r.stdout.startsWith('ERR')) throw new Error(`exec in client failed (${r.code}): ${r.stderr}`);
  return r.stdout.trim();
}

function fromHost(url: string): Promise<string> {
  return new Promise((resolve) => {
    http
      .get(url, (r) => {
        let b = '';
        r.on('data', (d) => (b += d));
        r.on('end', () => resolve(`${r.statusCode} ${b}`));
      })
      .on('error', (e: NodeJS.ErrnoException) => resolve(`ERR ${e.code}`));
  });
}

const available = (ns: string, name: string) =>
  kubectlJson(['get', 'deployment', name, '-n', ns]).status?.availableReplicas === 1;

describe('ordinary servers on the pod network', () => {
  let ns: string;
  let cleanup: () => void;
  before(async () => {
    ({ name: ns, cleanup } = tempNamespace('dl-podnet'));
    apply(ns, client, ...deployment('wild-v4', '0.0.0.0'), ...deployment('wild-v6', '::'));
    await eventually(
      'client pod running',
      () => kubectlJson(['get', 'pod', 'client', '-n', ns]).status?.phase === 'Running',
    );
  });
  after(() => cleanup());

  for (const [name, host] of [
    ['wild-v4', '0.0.0.0'],
    ['wild-v6', '::'],
  ]) {
    it(`a Deployment listening on ${host} on its Service's port is available and answers through the Service`, async () => {
      await eventually(`${name} available`, () => available(ns, name), 90_000);
      const pod = kubectlJson(['get', 'pods', '-n', ns, '-l', `app=${name}`]).items[0];
      assert.equal(pod.status.containerStatuses[0].restartCount, 0, 'it started at the first attempt');
      // As with kube-proxy, the Service may lag the Deployment's availability a little.
      await eventually(
        `${name} answers through its Service`,
        () => request(ns, `http://${name}:${PORT}/`) === `200 ${name}`,
      );
      assert.equal(request(ns, `http://${name}.${ns}.svc.cluster.local:${PORT}/`), `200 ${name}`);
      if (isSandbox()) {
        const ip = kubectlJson(['get', 'service', name, '-n', ns]).spec.clusterIP;
        assert.equal(await fromHost(`http://${ip}:${PORT}/`), `200 ${name}`, 'the ClusterIP answers from the host');
      }
    });
  }

  it("a pod reaches another pod by the other pod's IP on its declared containerPort", async () => {
    await eventually('wild-v4 available', () => available(ns, 'wild-v4'), 90_000);
    const ip = kubectlJson(['get', 'pods', '-n', ns, '-l', 'app=wild-v4']).items[0].status.podIP;
    await eventually('the pod IP answers', () => request(ns, `http://${ip}:${PORT}/`) === '200 wild-v4');
    const own = kubectlJson(['get', 'pod', 'client', '-n', ns]).status.podIP;
    assert.equal(request(ns, `http://${own}:${PORT}/`), '200 client', 'its own IP is its own');
  });
});
