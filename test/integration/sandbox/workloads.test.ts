// Pods and Services as a program written for Kubernetes sees them: readiness from probes,
// restarts, localhost shared inside a pod, Services that follow selectors, Istio header routes,
// and the demo shop answering through its four services. Requests are made from inside a pod
// (kubectl exec), as they would be on a real cluster; the suite runs this file on the sandbox
// only, since it tests the sandbox itself (scripts/test.mjs copies no sandbox tests for the real one).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { eventually, kubectl, kubectlJson, kubectlOk, tempNamespace } from '../../helpers/kubectl';

/** A one-line HTTP client to run inside a pod: prints the status, then the body. */
const fetchIn = (url: string, headers: Record<string, string> = {}) =>
  `const h=${JSON.stringify(headers)};require('http').get(${JSON.stringify(url)},{headers:h},r=>{let b='';r.on('data',d=>b+=d);r.on('end',()=>console.log(r.statusCode+' '+b))}).on('error',e=>{console.log('ERR '+e.code);process.exitCode=1})`;

function server(name: string, labels: Record<string, string>, body: string, bind = '0.0.0.0') {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'main',
          image: 'node:22-slim',
          command: [
            'node',
            '-e',
            `require('http').createServer((q,s)=>s.end(${JSON.stringify(body)})).listen(8080, ${JSON.stringify(bind)})`,
          ],
          ports: [{ name: 'http', containerPort: 8080 }],
          readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 1 },
        },
      ],
    },
  };
}

const client = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'client' },
  spec: {
    terminationGracePeriodSeconds: 1,
    containers: [{ name: 'main', image: 'node:22-slim', command: ['sleep', '3600'] }],
  },
};

function podReady(ns: string, name: string): boolean {
  const p = kubectlJson(['get', 'pod', name, '-n', ns]);
  return !!p.status?.conditions?.some(
    (c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True',
  );
}

function apply(ns: string, ...objs: object[]): void {
  kubectlOk(['apply', '-n', ns, '-f', '-'], { input: objs.map((o) => stringify(o)).join('---\n') });
}

/** A request from the pod `client`: `STATUS BODY`, or `ERR CODE` when the connection failed. */
function request(ns: string, url: string, headers: Record<string, string> = {}): string {
  const r = kubectl(['exec', '-n', ns, 'client', '--', 'node', '-e', fetchIn(url, headers)]);
  if (r.code !== 0 && !r.stdout.startsWith('ERR')) throw new Error(`exec in client failed (${r.code}): ${r.stderr}`);
  return r.stdout.trim();
}

describe('pods as Kubernetes runs them', () => {
  let ns: string;
  let cleanup: () => void;
  before(async () => {
    ({ name: ns, cleanup } = tempNamespace('dl-pods'));
    apply(ns, client);
    await eventually(
      'client pod running',
      () => kubectlJson(['get', 'pod', 'client', '-n', ns]).status?.phase === 'Running',
    );
  });
  after(() => cleanup());

  it('is Ready only while its readiness probe passes', async () => {
    apply(ns, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'probed' },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'main',
            image: 'busybox:1.36',
            command: ['sleep', '3600'],
            readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1 },
          },
        ],
      },
    });
    await eventually(
      'probed pod running',
      () => kubectlJson(['get', 'pod', 'probed', '-n', ns]).status?.phase === 'Running',
    );
    assert.equal(podReady(ns, 'probed'), false, 'not ready before the file exists');
    kubectlOk(['exec', '-n', ns, 'probed', '--', 'touch', '/tmp/ready']);
    await eventually('probed pod Ready', () => podReady(ns, 'probed'), 30_000);
    kubectlOk(['exec', '-n', ns, 'probed', '--', 'rm', '/tmp/ready']);
    await eventually('probed pod unready again', () => !podReady(ns, 'probed'), 30_000);
  });

  it('restarts a crashing container and keeps the previous log', async () => {
    apply(ns, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'crasher' },
      spec: {
        containers: [
          {
            name: 'main',
            image: 'busybox:1.36',
            command: ['sh', '-c', 'echo "run at $(date +%s%N)"; sleep 1; exit 7'],
          },
        ],
      },
    });
    const p = await eventually(
      'a restart',
      () => {
        const pod = kubectlJson(['get', 'pod', 'crasher', '-n', ns]);
        const cs = pod.status?.containerStatuses?.[0];
        return cs && cs.restartCount >= 1 && cs.lastState?.terminated ? pod : undefined;
      },
      60_000,
    );
    const cs = p.status.containerStatuses[0];
    assert.equal(cs.lastState.terminated.exitCode, 7);
    assert.equal(cs.lastState.terminated.reason, 'Error');
    const previous = kubectlOk(['logs', '-n', ns, 'crasher', '--previous']);
    assert.match(previous, /^run at \d+/);
  });

  it('shares localhost between the containers of a pod, and keeps 127.0.0.1 private to the pod', async () => {
    apply(ns, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'pair', labels: { app: 'pair' } },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'server',
            image: 'node:22-slim',
            command: ['node', '-e', "require('http').createServer((q,s)=>s.end('private')).listen(9000,'127.0.0.1')"],
          },
          { name: 'side', image: 'node:22-slim', command: ['sleep', '3600'] },
        ],
      },
    });
    await eventually('pair running', () =>
      kubectlJson(['get', 'pod', 'pair', '-n', ns]).status?.containerStatuses?.every(
        (c: { ready: boolean }) => c.ready,
      ),
    );
    const fromSide = await eventually(
      'side reaches the server on localhost',
      () => {
        const out = kubectl([
          'exec',
          '-n',
          ns,
          'pair',
          '-c',
          'side',
          '--',
          'node',
          '-e',
          fetchIn('http://127.0.0.1:9000/'),
        ]).stdout.trim();
        return out === '200 private' ? out : undefined;
      },
      20_000,
    );
    assert.equal(fromSide, '200 private');
    const podIP = kubectlJson(['get', 'pod', 'pair', '-n', ns]).status.podIP;
    assert.equal(request(ns, `http://127.0.0.1:9000/`).startsWith('ERR'), true, "another pod's localhost is its own");
    assert.equal(
      request(ns, `http://${podIP}:9000/`).startsWith('ERR'),
      true,
      'a server bound to 127.0.0.1 is not reachable on the pod IP',
    );
  });

  it('routes a Service to the pods its selector picks, and follows a selector change at once', async () => {
    apply(
      ns,
      server('blue', { app: 'color', color: 'blue' }, 'blue'),
      server('green', { app: 'color', color: 'green' }, 'green'),
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'color' },
        spec: { selector: { app: 'color', color: 'blue' }, ports: [{ port: 80, targetPort: 'http' }] },
      },
    );
    await eventually('blue and green Ready', () => podReady(ns, 'blue') && podReady(ns, 'green'));
    await eventually('the Service answers', () => request(ns, 'http://color/') === '200 blue');
    for (let i = 0; i < 5; i++) assert.equal(request(ns, `http://color.${ns}.svc.cluster.local/`), '200 blue');
    kubectlOk([
      'patch',
      'service',
      'color',
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"spec":{"selector":{"app":"color","color":"green"}}}',
    ]);
    await eventually(
      'the Service follows its new selector',
      () => request(ns, 'http://color/') === '200 green',
      10_000,
    );
  });
});

describe('Istio VirtualService routing (namespace labelled istio-injection=enabled)', () => {
  let ns: string;
  let cleanup: () => void;
  before(async () => {
    ({ name: ns, cleanup } = tempNamespace('dl-mesh'));
    kubectlOk(['label', 'namespace', ns, 'istio-injection=enabled']);
    apply(
      ns,
      client,
      server('v1', { app: 'echo', version: 'v1' }, 'v1'),
      server('v2', { app: 'echo', version: 'v2' }, 'v2'),
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'echo' },
        spec: { selector: { app: 'echo' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
      },
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: { name: 'echo' },
        spec: {
          host: 'echo',
          subsets: [
            { name: 'v1', labels: { version: 'v1' } },
            { name: 'v2', labels: { version: 'v2' } },
          ],
        },
      },
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: { name: 'echo' },
        spec: {
          hosts: ['echo'],
          http: [
            {
              match: [
                { headers: { 'x-devlane-route': { exact: 'k-123' } } },
                { headers: { baggage: { regex: '(.*,)?\\s*devlane=k-123\\s*(;[^,]*)?(,.*)?' } } },
              ],
              route: [{ destination: { host: 'echo', subset: 'v2' } }],
            },
            { route: [{ destination: { host: 'echo', subset: 'v1' } }] },
          ],
        },
      },
    );
    await eventually(
      'client and echo pods ready',
      () => podReady(ns, 'client') && podReady(ns, 'v1') && podReady(ns, 'v2'),
    );
  });
  after(() => cleanup());

  it('sends requests with the route header or baggage member to the matched subset, and all others to the default', async () => {
    await eventually('the mesh answers', () => request(ns, 'http://echo/') === '200 v1');
    for (let i = 0; i < 4; i++) assert.equal(request(ns, 'http://echo/'), '200 v1', 'no header: default route');
    assert.equal(request(ns, 'http://echo/', { 'x-devlane-route': 'k-123' }), '200 v2');
    assert.equal(request(ns, 'http://echo/', { baggage: 'userId=7,devlane=k-123' }), '200 v2');
    assert.equal(
      request(ns, 'http://echo/', { 'x-devlane-route': 'k-999' }),
      '200 v1',
      'another key is not this route',
    );
    assert.equal(request(ns, 'http://echo/', { baggage: 'devlane=k-1234' }), '200 v1', 'a longer key is not this key');
  });
});

describe('the demo shop', () => {
  for (const ns of ['shop', 'shop-plain']) {
    it(`answers through web -> catalog -> ratings and stock in ${ns}`, async () => {
      const pod = kubectlOk(['get', 'pods', '-n', ns, '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}']);
      const out = kubectlOk([
        'exec',
        '-n',
        ns,
        pod,
        '-c',
        'web',
        '--',
        'node',
        '-e',
        fetchIn('http://web/api/products', { 'x-devlane-route': 'demo-key' }),
      ]).trim();
      assert.match(out, /^200 /);
      const body = JSON.parse(out.slice(4));
      assert.equal(body.service, 'web');
      assert.equal(body.copy, 'original');
      assert.equal(body.catalog.service, 'catalog');
      assert.equal(body.catalog.route, 'demo-key', 'catalog received the propagated route header');
      assert.equal(body.catalog.products.length, 3);
      assert.ok(
        body.catalog.products.every(
          (p: { rating: { service: string; route: string } }) =>
            p.rating.service === 'ratings' && p.rating.route === 'demo-key',
        ),
      );
      assert.deepEqual(
        body.catalog.products.map((p: { stock: Record<string, unknown> }) => [
          p.stock.service,
          p.stock.product,
          p.stock.units,
          p.stock.route,
          p.stock.copy,
        ]),
        [
          ['stock', 'p-1', 12, 'demo-key', 'original'],
          ['stock', 'p-2', 0, 'demo-key', 'original'],
          ['stock', 'p-3', 3, 'demo-key', 'original'],
        ],
      );
    });

    it(`runs stock as its image ships it in ${ns}: the binary alone, no shell to exec`, () => {
      const pod = kubectlOk(['get', 'pods', '-n', ns, '-l', 'app=stock', '-o', 'jsonpath={.items[0].metadata.name}']);
      const r = kubectl(['exec', '-n', ns, pod, '--', 'sh', '-c', 'true']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /exec: "sh": executable file not found in \$PATH/);
    });
  }
});
