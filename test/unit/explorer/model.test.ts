import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { ClusterError } from '../../../src/core/errors';
import { Emitter } from '../../../src/core/events';
import { ExplorerModel, type ExplorerPrefs } from '../../../src/explorer/model';
import { ForwardRegistry } from '../../../src/explorer/forwards';
import type { ExplorerNode } from '../../../src/explorer/nodes';
import { contextSummary, FakeClusters } from '../../fakes/cluster';
import { deployment, namespace, pod, service } from '../../fakes/objects';

class Prefs implements ExplorerPrefs {
  active: string | undefined;
  namespaces: Record<string, string> = {};
  readonly changes = new Emitter<void>();
  readonly onDidChange = this.changes.event;
  activeContext() {
    return this.active;
  }
  defaultNamespace(context: string) {
    return this.namespaces[context];
  }
}

const disposables: { dispose(): void }[] = [];
afterEach(() => disposables.splice(0).forEach((d) => d.dispose()));

function setup() {
  const clusters = FakeClusters.of([contextSummary('kind-dev', 'shop'), contextSummary('prod')], 'kind-dev');
  const prefs = new Prefs();
  const forwards = new ForwardRegistry();
  const model = new ExplorerModel(clusters, prefs, forwards, { batchMs: 0 });
  disposables.push(model, forwards);
  const fired: (ExplorerNode[] | undefined)[] = [];
  model.onDidChange((e) => fired.push(e));
  const conn = clusters.connection('kind-dev');
  return { clusters, prefs, model, conn, fired, forwards };
}

const labels = (nodes: ExplorerNode[]) => nodes.map((n) => n.label);
const settle = () => new Promise((r) => setTimeout(r, 5));
const find = (nodes: ExplorerNode[], label: string) => {
  const n = nodes.find((x) => x.label === label);
  assert.ok(n, `no row "${label}" in ${labels(nodes).join(', ')}`);
  return n;
};

describe('ExplorerModel', () => {
  it('lists every context, the active one first, marked and expanded', () => {
    const { model, prefs } = setup();
    let roots = model.getChildren();
    assert.deepEqual(labels(roots), ['kind-dev', 'prod']);
    assert.equal(roots[0].expandable, 'expanded');
    assert.match(roots[0].description ?? '', /^active/);
    prefs.active = 'prod';
    roots = model.getChildren();
    assert.deepEqual(labels(roots), ['prod', 'kind-dev']);
    assert.equal(roots[1].expandable, 'collapsed');
  });

  it('shows a spinner, then namespaces with the default one first, without blocking', async () => {
    const { model, conn, fired } = setup();
    const ctx = model.getChildren()[0];
    assert.deepEqual(labels(model.getChildren(ctx)), ['Loading namespaces…']);
    conn.informer('Namespace').sync([namespace('kube-system'), namespace('shop'), namespace('default')]);
    await settle();
    assert.ok(
      fired.some((f) => f?.includes(ctx)),
      'the context row was refreshed',
    );
    const rows = model.getChildren(ctx);
    assert.deepEqual(labels(rows), ['shop', 'default', 'kube-system']);
    assert.equal(rows[0].description, 'default');
    assert.equal(rows[0].expandable, 'expanded');
  });

  it('shows a forbidden namespace list as an error row with Retry, and still offers the default namespace', async () => {
    const { model, conn } = setup();
    const ctx = model.getChildren()[0];
    model.getChildren(ctx);
    const informer = conn.informer('Namespace');
    informer.fail(
      new ClusterError('forbidden', 'Not allowed to list namespaces: namespaces is forbidden', 'Ask for a Role', 403),
    );
    const rows = model.getChildren(ctx);
    assert.equal(rows[0].kind, 'error');
    assert.match(rows[0].label, /namespaces is forbidden/);
    assert.equal(rows[1].label, 'shop');
    rows[0].retry?.();
    assert.equal(informer.retries, 1);
    // The namespace row works although the namespace list does not.
    conn.informer('Service', 'shop').sync([service('web', { app: 'web' })]);
    assert.deepEqual(labels(model.getChildren(rows[1])), ['web']);
  });

  it('shows nothing for a workload kind the cluster does not serve, but an error for one it refuses', async () => {
    const { model, conn } = setup();
    const ctx = model.getChildren()[0];
    conn.informer('Namespace').sync([namespace('shop')]);
    const ns = model.getChildren(ctx)[0];
    conn.informer('Service', 'shop').sync([service('web', { app: 'web' })]);
    const web = model.getChildren(ns)[0];
    model.getChildren(web);
    conn.informer('Deployment', 'shop').sync([deployment('web', { app: 'web' })]);
    conn.informer('Pod', 'shop').sync([pod('web-1', { labels: { app: 'web' } })]);
    conn
      .informer('StatefulSet', 'shop')
      .fail(
        new ClusterError('not-found', 'Not found while trying to list statefulsets', 'It may have been deleted.', 404),
      );
    conn
      .informer('DaemonSet', 'shop')
      .fail(new ClusterError('forbidden', 'daemonsets.apps is forbidden', 'Ask for a Role', 403));
    const rows = model.getChildren(web);
    assert.deepEqual(
      rows.map((r) => r.kind),
      ['error', 'workload'],
    );
    assert.match(rows[0].label, /daemonsets.apps is forbidden/);
  });

  it('keeps other contexts working when one cannot connect', () => {
    const clusters = FakeClusters.of(
      [
        contextSummary('good'),
        contextSummary('bad', 'default', { problem: 'cluster "x" is not defined in any kubeconfig file' }),
      ],
      'good',
    );
    const model = new ExplorerModel(clusters, new Prefs(), new ForwardRegistry());
    disposables.push(model);
    const [good, bad] = model.getChildren();
    const badRows = model.getChildren(bad);
    assert.equal(badRows[0].kind, 'error');
    assert.match(badRows[0].label, /cluster "x" is not defined/);
    assert.deepEqual(labels(model.getChildren(good)), ['Loading namespaces…']);
  });

  it('renders services with ports, workloads with ready counts, pods with status, and containers', async () => {
    const { model, conn } = setup();
    const ctx = model.getChildren()[0];
    conn.informer('Namespace').sync([namespace('shop')]);
    const ns = model.getChildren(ctx)[0];
    conn
      .informer('Service', 'shop')
      .sync([service('web', { app: 'web' }, [{ port: 80, targetPort: 8080 }]), service('db', { app: 'db' })]);
    const services = model.getChildren(ns);
    assert.deepEqual(labels(services), ['db', 'web']);
    const web = find(services, 'web');
    assert.equal(web.description, '80→8080');

    conn
      .informer('Deployment', 'shop')
      .sync([deployment('web', { app: 'web', tier: 'api' }, 2, 1), deployment('db', { app: 'db' })]);
    conn.informer('StatefulSet', 'shop').sync();
    conn.informer('DaemonSet', 'shop').sync();
    conn.informer('Pod', 'shop').sync([
      pod('web-1', { labels: { app: 'web', tier: 'api' } }),
      pod('web-2', {
        labels: { app: 'web', tier: 'api' },
        statuses: [{ ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } } }],
      }),
      // Selected by the Service but not by the Deployment: shown directly under the Service.
      pod('debug', { labels: { app: 'web' } }),
      pod('db-1', { labels: { app: 'db' } }),
    ]);
    const underWeb = model.getChildren(web);
    assert.deepEqual(labels(underWeb), ['web', 'debug']);
    assert.equal(underWeb[0].description, 'Deployment · 1/2 ready');
    const pods = model.getChildren(underWeb[0]);
    assert.deepEqual(labels(pods), ['web-1', 'web-2']);
    assert.equal(find(underWeb, 'debug').description, '1/1 · Running');
    const crashing = find(pods, 'web-2');
    assert.equal(crashing.description, '0/1 · CrashLoopBackOff · 4 restarts');
    assert.equal(crashing.icon.id, 'error');
    const containers = model.getChildren(find(pods, 'web-1'));
    assert.deepEqual(labels(containers), ['app']);
    assert.equal(containers[0].description, 'running');
  });

  it('refreshes only the rows a watch event touches', async () => {
    const { model, conn, fired } = setup();
    const ctx = model.getChildren()[0];
    conn.informer('Namespace').sync([namespace('shop')]);
    const ns = model.getChildren(ctx)[0];
    const svcInformer = conn
      .informer('Service', 'shop')
      .sync([service('web', { app: 'web' }), service('db', { app: 'db' })]);
    const [db, web] = model.getChildren(ns);
    for (const k of ['Deployment', 'StatefulSet', 'DaemonSet'] as const) conn.informer(k, 'shop').sync();
    const pods = conn
      .informer('Pod', 'shop')
      .sync([pod('web-1', { labels: { app: 'web' } }), pod('db-1', { labels: { app: 'db' } })]);
    model.getChildren(web);
    model.getChildren(db);
    await settle();
    fired.length = 0;

    pods.apply({ upsert: [pod('web-1', { labels: { app: 'web' }, statuses: [{ restartCount: 1 }] })] });
    await settle();
    assert.deepEqual(fired, [[web]], 'only the web service row is refreshed');

    fired.length = 0;
    svcInformer.apply({ upsert: [service('web', { app: 'web' }, [{ port: 81 }])] });
    await settle();
    assert.deepEqual(fired, [[web]]);
    assert.equal(web.description, '81');

    fired.length = 0;
    svcInformer.apply({ upsert: [service('api', { app: 'api' })] });
    await settle();
    assert.deepEqual(fired, [[ns]], 'a new service refreshes its namespace');
    assert.deepEqual(labels(model.getChildren(ns)), ['api', 'db', 'web']);
  });

  it('keeps row identity across refreshes and forgets deleted rows', () => {
    const { model, conn } = setup();
    const ctx = model.getChildren()[0];
    conn.informer('Namespace').sync([namespace('shop'), namespace('old')]);
    const first = model.getChildren(ctx);
    const again = model.getChildren(ctx);
    assert.equal(first[0], again[0]);
    conn.informer('Namespace').apply({ remove: ['old'] });
    assert.deepEqual(labels(model.getChildren(ctx)), ['shop']);
    assert.equal(model.getParent(first[0]), ctx);
  });

  it('starts watches on expand and releases them on collapse', () => {
    const { model, conn } = setup();
    const ctx = model.getChildren()[0];
    conn.informer('Namespace').sync([namespace('shop')]);
    const ns = model.getChildren(ctx)[0];
    conn.informer('Service', 'shop').sync([service('web', { app: 'web' })]);
    const web = model.getChildren(ns)[0];
    model.getChildren(web);
    assert.equal(conn.informer('Pod', 'shop').leases, 1);
    assert.equal(conn.leaseCount, 7); // namespaces, services (twice: namespace and service rows), pods, 3 workload kinds
    model.collapsed(ns);
    assert.equal(conn.informer('Pod', 'shop').leases, 0);
    assert.equal(conn.informer('Service', 'shop').leases, 0);
    assert.equal(conn.leaseCount, 1);
  });

  it('starts over when the kubeconfig changes', async () => {
    const { model, clusters, conn, fired } = setup();
    const ctx = model.getChildren()[0];
    model.getChildren(ctx);
    assert.equal(conn.leaseCount, 1);
    clusters.reload();
    await settle();
    assert.equal(conn.leaseCount, 0);
    assert.ok(fired.includes(undefined));
  });

  it('stays cheap with 2,000 services and 10,000 pods: one pod change refreshes one row', async () => {
    const { model, conn, fired } = setup();
    const ctx = model.getChildren()[0];
    conn.informer('Namespace').sync([namespace('shop')]);
    const ns = model.getChildren(ctx)[0];
    conn
      .informer('Service', 'shop')
      .sync(Array.from({ length: 2000 }, (_, i) => service(`svc-${i}`, { app: `app-${i}` })));
    const services = model.getChildren(ns);
    assert.equal(services.length, 2000);
    for (const k of ['Deployment', 'StatefulSet', 'DaemonSet'] as const) conn.informer(k, 'shop').sync();
    const pods = conn
      .informer('Pod', 'shop')
      .sync(Array.from({ length: 10_000 }, (_, i) => pod(`pod-${i}`, { labels: { app: `app-${i % 2000}` } })));
    const opened = Array.from({ length: 20 }, (_, i) => find(services, `svc-${i}`));
    for (const s of opened) assert.equal(model.getChildren(s).length, 5);
    await settle();
    fired.length = 0;
    pods.apply({ upsert: [pod('pod-2005', { labels: { app: 'app-5' }, phase: 'Pending' })] });
    await settle();
    assert.deepEqual(fired, [[find(services, 'svc-5')]]);
  });
});

describe('port forwards in the tree', () => {
  function fakeForward(pod: string, localPort: number) {
    const closed = new Emitter<Error | undefined>();
    let disposed = 0;
    const handle = {
      namespace: 'shop',
      pod,
      remotePort: 8080,
      localPort,
      address: '127.0.0.1',
      onDidClose: closed.event,
      onDidFailConnection: new Emitter<string>().event,
      dispose: () => {
        disposed++;
        closed.fire(undefined);
      },
    };
    return { handle, closed, disposedCount: () => disposed };
  }

  it('lists active forwards under a Port Forwards row; Stop disposes the forward', async () => {
    const { model, fired, forwards } = setup();
    assert.deepEqual(labels(model.getChildren()), ['kind-dev', 'prod']);
    const f = fakeForward('web-1', 18080);
    forwards.add('kind-dev', f.handle);
    await settle();
    assert.ok(fired.includes(undefined));
    const group = model.getChildren()[0];
    assert.equal(group.label, 'Port Forwards');
    const [row] = model.getChildren(group);
    assert.equal(row.label, '127.0.0.1:18080 → web-1:8080');
    forwards.stopHandle(row.forward!);
    assert.equal(f.disposedCount(), 1);
    assert.deepEqual(labels(model.getChildren()), ['kind-dev', 'prod']);
  });

  it('drops a forward that closed by itself, and stops all forwards when disposed', () => {
    const registry = new ForwardRegistry();
    const a = fakeForward('a', 1);
    const b = fakeForward('b', 2);
    registry.add('ctx', a.handle);
    registry.add('ctx', b.handle);
    a.closed.fire(new Error('connection lost'));
    assert.deepEqual(
      registry.list().map((e) => e.handle.pod),
      ['b'],
    );
    registry.dispose();
    assert.equal(b.disposedCount(), 1);
    assert.equal(a.disposedCount(), 0, 'a forward that already closed is not disposed again');
  });
});
