// The real cluster (upstream Kubernetes, `npm run cluster`) as a user meets it: pods in their own
// network namespaces, reaching each other by pod IP and through Services by name, a server on
// 0.0.0.0 on its Service's port, and cluster DNS that answers nothing outside the cluster.
import '../../helpers/target';
import { strict as assert } from 'node:assert';
import { Resolver } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { NET } from '../../../cluster/config';
import { onRealCluster } from '../../helpers/target';
import { eventually, kubectlOk, tempNamespace } from '../../helpers/kubectl';
import { httpGet } from '../../helpers/http';

const skip = onRealCluster ? false : "about the real cluster's own network (runs on its copy of the suite)";

const echo = (name: string) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name} }
spec:
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      containers:
        - name: web
          image: node:22-slim
          # Listens on every address, on the same port as its Service: the most ordinary pattern there is.
          command: [node, -e, "require('http').createServer((q, s) => s.end(process.env.HOSTNAME + ' ' + q.url)).listen(80, '0.0.0.0')"]
          ports: [{ containerPort: 80 }]
          readinessProbe: { httpGet: { path: /, port: 80 }, periodSeconds: 1 }
---
apiVersion: v1
kind: Service
metadata: { name: ${name} }
spec:
  selector: { app: ${name} }
  ports: [{ port: 80, targetPort: 80 }]
`;

describe('the real cluster', { skip }, () => {
  let ns: string;
  let cleanup: () => void;
  before(() => {
    ({ name: ns, cleanup } = tempNamespace('real-cluster'));
    kubectlOk(['-n', ns, 'apply', '-f', '-'], { input: echo('a') + '---\n' + echo('b') });
    kubectlOk(['-n', ns, 'wait', '--for=condition=Available', 'deployment', '--all', '--timeout=180s'], {
      timeoutMs: 200_000,
    });
  });

  it('runs pods on their own addresses, reachable by pod IP and through Services by name', async () => {
    const pods = JSON.parse(kubectlOk(['-n', ns, 'get', 'pods', '-o', 'json'])) as {
      items: { metadata: { name: string; labels: Record<string, string> }; status: { podIP: string } }[];
    };
    const a = pods.items.find((p) => p.metadata.labels.app === 'a')!;
    const b = pods.items.find((p) => p.metadata.labels.app === 'b')!;
    const prefix = NET.podCidr.split('.').slice(0, 3).join('.') + '.';
    assert.ok(a.status.podIP.startsWith(prefix), `pod IP ${a.status.podIP} is in the pod range ${NET.podCidr}`);
    // From the host, as from any node: the pod IP and the Service's ClusterIP.
    assert.equal((await httpGet(`http://${b.status.podIP}/direct`)).body, `${b.metadata.name} /direct`);
    const svc = JSON.parse(kubectlOk(['-n', ns, 'get', 'service', 'b', '-o', 'json'])) as {
      spec: { clusterIP: string };
    };
    // A Deployment is Available before kube-proxy has programmed its Service: wait for the answer itself.
    const deadline = Date.now() + 60_000;
    let viaService = await httpGet(`http://${svc.spec.clusterIP}/svc`).catch((e: Error) => ({
      status: 0,
      body: e.message,
    }));
    while (viaService.status !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      viaService = await httpGet(`http://${svc.spec.clusterIP}/svc`).catch((e: Error) => ({
        status: 0,
        body: e.message,
      }));
    }
    assert.equal(viaService.body, `${b.metadata.name} /svc`);
    // From pod a: pod b by its IP, and Service b by its cluster DNS name (CoreDNS).
    const fromA = (url: string) =>
      kubectlOk([
        '-n',
        ns,
        'exec',
        a.metadata.name,
        '--',
        'node',
        '-e',
        `fetch(${JSON.stringify(url)}).then((r) => r.text()).then((t) => process.stdout.write(t))`,
      ]);
    assert.equal(fromA(`http://${b.status.podIP}/pod-to-pod`), `${b.metadata.name} /pod-to-pod`);
    assert.equal(fromA(`http://b.${ns}.svc.cluster.local/by-name`), `${b.metadata.name} /by-name`);
    assert.equal(fromA('http://b/short-name'), `${b.metadata.name} /short-name`);
  });

  it('answers cluster names from CoreDNS and nothing outside the cluster domain', async () => {
    const r = new Resolver();
    r.setServers([NET.dnsIp]);
    const svc = JSON.parse(kubectlOk(['-n', ns, 'get', 'service', 'a', '-o', 'json'])) as {
      spec: { clusterIP: string };
    };
    assert.deepEqual(await r.resolve4(`a.${ns}.svc.cluster.local`), [svc.spec.clusterIP]);
    await assert.rejects(r.resolve4('registry.npmjs.org'), 'a name outside the cluster is not forwarded upstream');
  });

  it("keeps the address of the pods' gateway while pods come and go, so the DNS and Services never vanish from a pod", async () => {
    // A Linux bridge with no address of its own takes the lowest of its ports': each pod that came or
    // went could change it, and pods lost the gateway (DNS, Services) until their neighbour entry aged.
    kubectlOk(['-n', ns, 'scale', 'deployment', 'b', '--replicas=4']);
    kubectlOk(['-n', ns, 'wait', '--for=condition=Available', 'deployment', 'b', '--timeout=180s'], {
      timeoutMs: 200_000,
    });
    const bridgeMac = () => readFileSync(`/sys/class/net/${NET.bridge}/address`, 'utf8').trim();
    assert.equal(bridgeMac(), NET.bridgeMac, 'pods joining the bridge left its address as set');
    kubectlOk(['-n', ns, 'scale', 'deployment', 'b', '--replicas=1']);
    await eventually(
      'the extra pods of b to go',
      () => JSON.parse(kubectlOk(['-n', ns, 'get', 'pods', '-l', 'app=b', '-o', 'json'])).items.length === 1,
      120_000,
    );
    assert.equal(bridgeMac(), NET.bridgeMac, 'pods leaving the bridge left its address as set');
    // What pod a resolved the gateway to, after a lookup through it: the bridge's address.
    const a = JSON.parse(kubectlOk(['-n', ns, 'get', 'pods', '-l', 'app=a', '-o', 'json'])).items[0].metadata
      .name as string;
    const arp = kubectlOk([
      '-n',
      ns,
      'exec',
      a,
      '--',
      'node',
      '-e',
      `require('dns').lookup('b', () => process.stdout.write(require('fs').readFileSync('/proc/net/arp', 'utf8')))`,
    ]);
    const entry = arp.split('\n').find((l) => l.split(/\s+/)[0] === NET.gateway);
    assert.ok(entry, `pod a has a neighbour entry for the gateway ${NET.gateway}: ${arp}`);
    assert.equal(entry.split(/\s+/)[3], NET.bridgeMac);
  });

  after(() => cleanup());
});
