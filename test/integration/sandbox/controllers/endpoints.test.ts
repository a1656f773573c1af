import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startControllers } from '../../../../sandbox/controllers/index';
import type { KObject } from '../../../../sandbox/core/types';
import { eventually, newStore, setPodReady } from './fixtures';

const stops: (() => void)[] = [];
after(() => stops.forEach((s) => s()));

function pod(name: string, ns: string, labels: Record<string, string>, port = 8080): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels },
    spec: {
      nodeName: 'node-1',
      containers: [{ name: 'c', image: 'x', ports: [{ name: 'http', containerPort: port }] }],
    },
  };
}

const slicesOf = (store: ReturnType<typeof newStore>, ns: string, svc: string) =>
  store.list('endpointslices.discovery.k8s.io', ns, { labelSelector: `kubernetes.io/service-name=${svc}` }).items;

describe('Endpoints and EndpointSlice controllers', () => {
  it('list ready pods as addresses and unready ones as notReadyAddresses, following readiness', async () => {
    const store = newStore('ep1');
    const c = startControllers(store, { log: () => {} });
    stops.push(() => c.stop());
    store.create('services', 'ep1', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'ep1' },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    });
    const a = setPodReady(store, store.create('pods', 'ep1', pod('a', 'ep1', { app: 'web' }, 8080)), true);
    const b = setPodReady(store, store.create('pods', 'ep1', pod('b', 'ep1', { app: 'web' }, 9090)), false);
    store.create('pods', 'ep1', pod('other', 'ep1', { app: 'other' }));

    const ep = await eventually(() => {
      const e = store.tryGet('endpoints', 'ep1', 'web');
      return e?.subsets?.length === 2 && e;
    }, 'two subsets (ports differ per pod)');
    const ready = ep.subsets.find((s: { addresses?: unknown[] }) => s.addresses);
    const notReady = ep.subsets.find((s: { notReadyAddresses?: unknown[] }) => s.notReadyAddresses);
    assert.deepEqual(ready.addresses, [
      {
        ip: a.status.podIP,
        nodeName: 'node-1',
        targetRef: { kind: 'Pod', namespace: 'ep1', name: 'a', uid: a.metadata.uid },
      },
    ]);
    assert.deepEqual(ready.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    assert.equal(notReady.notReadyAddresses[0].ip, b.status.podIP);
    assert.deepEqual(
      notReady.ports,
      [{ name: 'http', port: 9090, protocol: 'TCP' }],
      'a named targetPort is resolved per pod',
    );

    const slices = await eventually(() => {
      const s = slicesOf(store, 'ep1', 'web');
      return s.length === 2 && s;
    }, 'two slices');
    for (const s of slices) {
      assert.equal(s.addressType, 'IPv4');
      assert.equal(s.metadata.labels?.['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
      assert.equal(s.metadata.ownerReferences?.[0].kind, 'Service');
    }
    const bSlice = slices.find((s) => s.endpoints[0]?.targetRef.name === 'b')!;
    assert.deepEqual(bSlice.endpoints[0].conditions, { ready: false, serving: false, terminating: false });

    // b turns ready, a turns unready: both objects follow.
    setPodReady(store, b, true);
    setPodReady(store, a, false);
    await eventually(() => {
      const e = store.get('endpoints', 'ep1', 'web');
      const readyIps = e.subsets.flatMap((s: { addresses?: { ip: string }[] }) => (s.addresses ?? []).map((x) => x.ip));
      return readyIps.length === 1 && readyIps[0] === b.status.podIP;
    }, 'b ready, a not');
    await eventually(
      () =>
        slicesOf(store, 'ep1', 'web').some(
          (s) => s.endpoints[0]?.targetRef.name === 'a' && s.endpoints[0].conditions.ready === false,
        ),
      'slice shows a unready',
    );

    // Unchanged input: no write (the resourceVersion stays).
    const before = store.get('endpoints', 'ep1', 'web').metadata.resourceVersion;
    store.create('pods', 'ep1', pod('unrelated', 'ep1', { app: 'nope' }));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(store.get('endpoints', 'ep1', 'web').metadata.resourceVersion, before);

    // Labels changed away from the selector: the pod leaves.
    const cur = store.get('pods', 'ep1', 'b');
    store.update('pods', 'ep1', { ...cur, metadata: { ...cur.metadata, labels: { app: 'moved' } } });
    await eventually(
      () => !JSON.stringify(store.get('endpoints', 'ep1', 'web').subsets ?? []).includes('"b"'),
      'b removed',
    );
  });

  it('honours publishNotReadyAddresses, leaves selectorless Services alone, and removes Endpoints with the Service', async () => {
    const store = newStore('ep2');
    const c = startControllers(store, { log: () => {} });
    stops.push(() => c.stop());
    store.create('services', 'ep2', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'pub', namespace: 'ep2' },
      spec: { selector: { app: 'p' }, publishNotReadyAddresses: true, ports: [{ port: 80, targetPort: 8080 }] },
    });
    store.create('services', 'ep2', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'manual', namespace: 'ep2' },
      spec: { ports: [{ port: 80 }] },
    });
    store.create('endpoints', 'ep2', {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'manual', namespace: 'ep2' },
      subsets: [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }],
    });
    setPodReady(store, store.create('pods', 'ep2', pod('p1', 'ep2', { app: 'p' })), false);
    await eventually(
      () => store.tryGet('endpoints', 'ep2', 'pub')?.subsets?.[0]?.addresses?.length === 1,
      'unready pod published as ready',
    );
    assert.deepEqual(store.get('endpoints', 'ep2', 'manual').subsets, [
      { addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] },
    ]);
    assert.equal(slicesOf(store, 'ep2', 'manual').length, 0);
    store.delete('services', 'ep2', 'pub');
    await eventually(
      () => !store.tryGet('endpoints', 'ep2', 'pub') && slicesOf(store, 'ep2', 'pub').length === 0,
      'Endpoints and slices gone with the Service',
    );
  });
});
