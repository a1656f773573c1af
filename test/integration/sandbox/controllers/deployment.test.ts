import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startControllers } from '../../../../sandbox/controllers/index';
import type { KObject } from '../../../../sandbox/core/types';
import { deployment, eventually, fakeKubelet, newStore, setPodReady } from './fixtures';

const stops: (() => void)[] = [];
after(() => stops.forEach((s) => s()));

function start(...namespaces: string[]) {
  const store = newStore(...namespaces);
  const c = startControllers(store, { log: () => {} });
  stops.push(() => c.stop());
  return store;
}

const ownedPods = (store: ReturnType<typeof newStore>, ns: string, rs: KObject) =>
  store
    .list('pods', ns)
    .items.filter((p) => p.metadata.ownerReferences?.some((r) => r.uid === rs.metadata.uid && r.controller));

/** What `kubectl rollout status` prints as done: observedGeneration caught up and every count equal to replicas. */
function rolledOut(d: KObject): boolean {
  const s = d.status ?? {};
  const want = d.spec.replicas;
  return (
    s.observedGeneration >= (d.metadata.generation ?? 1) &&
    s.updatedReplicas === want &&
    (s.replicas ?? 0) === want &&
    s.availableReplicas === want
  );
}

describe('Deployment and ReplicaSet controllers', () => {
  it('creates a ReplicaSet named after the template hash, owned by the Deployment, and its pods', async () => {
    const store = start('apps1');
    stops.push(fakeKubelet(store));
    store.create('deployments.apps', 'apps1', deployment('web', 'apps1', 3));
    const rs = await eventually(() => store.list('replicasets.apps', 'apps1').items[0], 'a ReplicaSet');
    const hash = rs.metadata.labels?.['pod-template-hash'];
    assert.ok(hash, 'pod-template-hash label');
    assert.equal(rs.metadata.name, `web-${hash}`);
    assert.equal(rs.spec.selector.matchLabels['pod-template-hash'], hash);
    assert.equal(rs.spec.template.metadata.labels['pod-template-hash'], hash);
    const d = store.get('deployments.apps', 'apps1', 'web');
    assert.deepEqual(rs.metadata.ownerReferences, [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'web',
        uid: d.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');
    const pods = await eventually(() => {
      const p = ownedPods(store, 'apps1', rs);
      return p.length === 3 && p;
    }, '3 pods');
    for (const p of pods) {
      assert.match(p.metadata.name!, new RegExp(`^web-${hash}-[a-z0-9]{5}$`));
      assert.equal(p.metadata.labels?.app, 'web');
    }
    const done = await eventually(() => {
      const x = store.get('deployments.apps', 'apps1', 'web');
      return rolledOut(x) && x;
    }, 'rollout complete');
    assert.equal(done.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');
    const cond = (t: string) => done.status.conditions.find((c: { type: string }) => c.type === t);
    assert.equal(cond('Available').status, 'True');
    assert.equal(cond('Available').reason, 'MinimumReplicasAvailable');
    assert.equal(cond('Progressing').reason, 'NewReplicaSetAvailable');
    assert.equal(cond('Progressing').message, `ReplicaSet "web-${hash}" has successfully progressed.`);
    assert.equal(done.status.readyReplicas, 3);
    assert.equal(done.status.unavailableReplicas, 0);
    // Settled: nothing is written again when nothing changed.
    const rvs = () =>
      [
        store.get('deployments.apps', 'apps1', 'web'),
        store.get('replicasets.apps', 'apps1', rs.metadata.name!),
        ...store.list('endpoints', 'apps1').items,
      ]
        .map((o) => o.metadata.resourceVersion)
        .join();
    const settled = rvs();
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(rvs(), settled, 'no write loop');
    const events = store.list('events', 'apps1').items.filter((e) => e.reason === 'ScalingReplicaSet');
    assert.ok(
      events.some((e) => e.message === `Scaled up replica set web-${hash} from 0 to 3`),
      JSON.stringify(events.map((e) => e.message)),
    );
  });

  it('scales up and down through spec.replicas, deleting not-ready pods first', async () => {
    const store = start('apps2');
    stops.push(fakeKubelet(store));
    store.create('deployments.apps', 'apps2', deployment('api', 'apps2', 2));
    await eventually(() => rolledOut(store.get('deployments.apps', 'apps2', 'api')), 'initial rollout');
    let d = store.get('deployments.apps', 'apps2', 'api');
    store.update('deployments.apps', 'apps2', { ...d, spec: { ...d.spec, replicas: 4 } });
    await eventually(
      () => rolledOut(store.get('deployments.apps', 'apps2', 'api')) && store.list('pods', 'apps2').items.length === 4,
      'scaled to 4',
    );
    // One pod turns unready: scaling down to 3 must remove that one.
    const unready = store.list('pods', 'apps2').items[1];
    setPodReady(store, unready, false);
    d = store.get('deployments.apps', 'apps2', 'api');
    store.update('deployments.apps', 'apps2', { ...d, spec: { ...d.spec, replicas: 3 } });
    const pods = await eventually(() => {
      const p = store.list('pods', 'apps2').items;
      return p.length === 3 && p;
    }, 'scaled to 3');
    assert.ok(!pods.some((p) => p.metadata.name === unready.metadata.name), 'the unready pod went first');
    await eventually(() => rolledOut(store.get('deployments.apps', 'apps2', 'api')), 'status at 3');
    assert.equal(store.list('replicasets.apps', 'apps2').items.length, 1, 'scaling does not create a ReplicaSet');
  });

  it('rolls a template change out without exceeding maxSurge or going below replicas - maxUnavailable', async () => {
    const store = start('apps3');
    stops.push(fakeKubelet(store));
    store.create(
      'deployments.apps',
      'apps3',
      deployment('cat', 'apps3', 4, {
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: '25%' } },
      }),
    );
    await eventually(() => rolledOut(store.get('deployments.apps', 'apps3', 'cat')), 'initial rollout');
    const firstRs = store.list('replicasets.apps', 'apps3').items[0];
    // Watch every pod change: count ready (not terminating) pods and all pods at each step.
    let minReady = Infinity;
    let maxPods = 0;
    let started = false;
    const stopWatch = store.watch('pods', 'apps3', {}, () => {
      if (!started) return;
      const pods = store.list('pods', 'apps3').items.filter((p) => !p.metadata.deletionTimestamp);
      maxPods = Math.max(maxPods, pods.length);
      minReady = Math.min(
        minReady,
        pods.filter((p) =>
          p.status?.conditions?.some(
            (c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True',
          ),
        ).length,
      );
    });
    stops.push(stopWatch);
    started = true;
    const d = store.get('deployments.apps', 'apps3', 'cat');
    const tpl = structuredClone(d.spec.template);
    tpl.spec.containers[0].image = 'demo:2';
    store.update('deployments.apps', 'apps3', { ...d, spec: { ...d.spec, template: tpl } });
    const done = await eventually(() => {
      const x = store.get('deployments.apps', 'apps3', 'cat');
      return x.metadata.generation === 2 && rolledOut(x) && x;
    }, 'rollout of the new template');
    assert.equal(done.metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
    const rss = store.list('replicasets.apps', 'apps3').items;
    assert.equal(rss.length, 2);
    const newRs = rss.find((r) => r.metadata.uid !== firstRs.metadata.uid)!;
    assert.equal(newRs.spec.replicas, 4);
    assert.equal(newRs.metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
    assert.equal(store.get('replicasets.apps', 'apps3', firstRs.metadata.name!).spec.replicas, 0);
    const pods = store.list('pods', 'apps3').items;
    assert.equal(pods.length, 4);
    assert.ok(pods.every((p) => p.spec.containers[0].image === 'demo:2'));
    assert.ok(maxPods === 5, `the surge was used (saw ${maxPods})`);
    assert.ok(maxPods <= 5, `never more than replicas + maxSurge pods (saw ${maxPods})`);
    assert.ok(minReady >= 3, `never fewer than replicas - maxUnavailable ready pods (saw ${minReady})`);
    const p = done.status.conditions.find((c: { type: string }) => c.type === 'Progressing');
    assert.equal(p.reason, 'NewReplicaSetAvailable');
    assert.equal(p.message, `ReplicaSet "${newRs.metadata.name}" has successfully progressed.`);
  });

  it('waits, as rollout status does, while new pods do not become ready', async () => {
    const store = start('apps4');
    stops.push(fakeKubelet(store, (p) => p.spec.containers[0].image !== 'broken:1'));
    store.create(
      'deployments.apps',
      'apps4',
      deployment('w', 'apps4', 2, {
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
      }),
    );
    await eventually(() => rolledOut(store.get('deployments.apps', 'apps4', 'w')), 'initial rollout');
    const d = store.get('deployments.apps', 'apps4', 'w');
    const tpl = structuredClone(d.spec.template);
    tpl.spec.containers[0].image = 'broken:1';
    store.update('deployments.apps', 'apps4', { ...d, spec: { ...d.spec, template: tpl } });
    const stuck = await eventually(() => {
      const x = store.get('deployments.apps', 'apps4', 'w');
      return (
        x.status.observedGeneration === 2 && x.status.updatedReplicas === 1 && x.status.availableReplicas === 1 && x
      );
    }, 'one old pod replaced by one unready new pod');
    await new Promise((r) => setTimeout(r, 100));
    const again = store.get('deployments.apps', 'apps4', 'w');
    assert.equal(again.status.availableReplicas, 1, 'maxUnavailable 1 keeps one old pod');
    assert.equal(again.status.updatedReplicas, 1, 'maxSurge 0 with one unavailable: no further new pod');
    assert.equal(again.status.unavailableReplicas, 1);
    const progressing = stuck.status.conditions.find((c: { type: string }) => c.type === 'Progressing');
    assert.equal(progressing.status, 'True');
    assert.match(progressing.reason, /ReplicaSetUpdated|NewReplicaSetCreated/);
  });

  it('Recreate scales the old ReplicaSet to zero before creating the new one', async () => {
    const store = start('apps5');
    stops.push(fakeKubelet(store));
    store.create('deployments.apps', 'apps5', deployment('r', 'apps5', 2, { strategy: { type: 'Recreate' } }));
    await eventually(() => rolledOut(store.get('deployments.apps', 'apps5', 'r')), 'initial rollout');
    let mixed = false;
    stops.push(
      store.watch('pods', 'apps5', {}, () => {
        const images = new Set(store.list('pods', 'apps5').items.map((p) => p.spec.containers[0].image));
        if (images.size > 1) mixed = true;
      }),
    );
    const d = store.get('deployments.apps', 'apps5', 'r');
    const tpl = structuredClone(d.spec.template);
    tpl.spec.containers[0].image = 'demo:2';
    store.update('deployments.apps', 'apps5', { ...d, spec: { ...d.spec, template: tpl } });
    await eventually(() => {
      const x = store.get('deployments.apps', 'apps5', 'r');
      return x.metadata.generation === 2 && rolledOut(x);
    }, 'recreate rollout');
    assert.equal(mixed, false, 'old and new pods never coexist');
  });

  it('adopts an orphan ReplicaSet and orphan pods that match, and trims old ReplicaSets to revisionHistoryLimit', async () => {
    const store = start('apps6');
    stops.push(fakeKubelet(store));
    const orphanPod = store.create('pods', 'apps6', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'stray', namespace: 'apps6', labels: { app: 'solo' } },
      spec: { containers: [{ name: 'c', image: 'x' }] },
    });
    store.create('replicasets.apps', 'apps6', {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'solo', namespace: 'apps6', labels: { app: 'solo' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'solo' } },
        template: { metadata: { labels: { app: 'solo' } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
      },
    });
    const rs = store.get('replicasets.apps', 'apps6', 'solo');
    await eventually(
      () => store.get('pods', 'apps6', 'stray').metadata.ownerReferences?.[0]?.uid === rs.metadata.uid,
      'pod adopted',
    );
    await eventually(() => store.get('replicasets.apps', 'apps6', 'solo').status?.readyReplicas === 2, 'RS ready');
    assert.equal(store.list('pods', 'apps6').items.length, 2, 'the adopted pod counts toward replicas');
    void orphanPod;

    // A Deployment whose selector matches adopts the ReplicaSet.
    store.create('deployments.apps', 'apps6', deployment('solo', 'apps6', 2, { revisionHistoryLimit: 1 }, 'x'));
    const d = store.get('deployments.apps', 'apps6', 'solo');
    await eventually(
      () => store.get('replicasets.apps', 'apps6', 'solo').metadata.ownerReferences?.[0]?.uid === d.metadata.uid,
      'RS adopted',
    );
    // Two template changes: with revisionHistoryLimit 1 only one old ReplicaSet stays.
    for (const image of ['y', 'z']) {
      const cur = store.get('deployments.apps', 'apps6', 'solo');
      const tpl = structuredClone(cur.spec.template);
      tpl.spec.containers[0].image = image;
      store.update('deployments.apps', 'apps6', { ...cur, spec: { ...cur.spec, template: tpl } });
      await eventually(() => {
        const x = store.get('deployments.apps', 'apps6', 'solo');
        return x.status?.observedGeneration === x.metadata.generation && rolledOut(x);
      }, `rollout to ${image}`);
    }
    await eventually(
      () => store.list('replicasets.apps', 'apps6').items.length === 2,
      'history trimmed to one old ReplicaSet',
    );
    assert.equal(
      store.get('deployments.apps', 'apps6', 'solo').metadata.annotations?.['deployment.kubernetes.io/revision'],
      '3',
    );
  });

  it('recovers when its watches are dropped and the watch history expired (relist after 410)', async () => {
    const store = start('apps7');
    stops.push(fakeKubelet(store));
    store.dropWatches(); // also drops the fake kubelet's watch: start it again
    store.expireHistory();
    stops.push(fakeKubelet(store));
    store.create('deployments.apps', 'apps7', deployment('late', 'apps7', 2));
    await eventually(
      () => rolledOut(store.get('deployments.apps', 'apps7', 'late')),
      'rollout after the controllers re-listed',
      15_000,
    );
  });

  it('keeps a default ServiceAccount in every namespace and the kubernetes Service in default', async () => {
    const store = newStore('sa1');
    const c = startControllers(store, { log: () => {}, apiserver: { host: '127.0.0.1', port: 6443 } });
    stops.push(() => c.stop());
    await eventually(() => store.tryGet('serviceaccounts', 'sa1', 'default'), 'default SA');
    store.delete('serviceaccounts', 'sa1', 'default');
    await eventually(() => store.tryGet('serviceaccounts', 'sa1', 'default'), 'default SA recreated');
    store.create('namespaces', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sa2' } });
    await eventually(() => store.tryGet('serviceaccounts', 'sa2', 'default'), 'default SA in a new namespace');
    const svc = await eventually(() => store.tryGet('services', 'default', 'kubernetes'), 'kubernetes Service');
    assert.equal(svc.spec.ports[0].port, 443);
    const ep = await eventually(() => store.tryGet('endpoints', 'default', 'kubernetes'), 'kubernetes Endpoints');
    assert.deepEqual(ep.subsets, [
      { addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] },
    ]);
  });
});
