// What the Sessions view and the Clusters view show of the sessions in a namespace.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { treeItemContexts } from '../../../src/core/contributions';
import type { ConfigMapObject } from '../../../src/core/resources';
import { formatAge, sessionViews } from '../../../src/sessionview/sessions';
import { childRows, placeChildren, rootRows, viewDescription } from '../../../src/sessionview/tree';
import { SessionsWatch } from '../../../src/sessionview/watch';
import { contextSummary, FakeClusters } from '../../fakes/cluster';
import { copy, lease, now, record, stoodStill } from './fixtures';

/* eslint-disable @typescript-eslint/no-explicit-any */
/** A record whose text someone edited by hand. */
function withText(cm: ConfigMapObject, edit: (state: any) => void): ConfigMapObject {
  const state = JSON.parse(cm.data!['session.json']);
  edit(state);
  return { ...cm, data: { 'session.json': JSON.stringify(state) } };
}

const inputs = (o: Partial<Parameters<typeof sessionViews>[0]> = {}) => ({
  context: 'dev',
  namespace: 'shop',
  me: 'alice',
  records: [],
  leases: [],
  deployments: [],
  now,
  expired: stoodStill,
  ...o,
});

describe('sessions of a namespace', () => {
  it('shows owner, participants, services with their holders, and age', () => {
    const views = sessionViews(
      inputs({
        records: [
          record('checkout', {
            createdBy: 'bob',
            participants: ['bob', 'alice'],
            services: [
              { service: 'ratings', owner: 'bob' },
              { service: 'catalog', owner: 'alice' },
            ],
          }),
        ],
        leases: [lease('checkout', 'bob', 3), lease('checkout', 'alice', 2)],
        deployments: [copy('ratings', 'checkout', true), copy('catalog', 'checkout', false)],
      }),
    );
    const [row] = rootRows({ phase: 'synced', where: { context: 'dev', namespace: 'shop' } }, views, now);
    assert.equal(row.label, 'checkout');
    assert.equal(row.description, 'by bob · 2 participants · 10m · joined');
    assert.equal(row.contextValue, treeItemContexts.sessionMine);
    const children = childRows(views[0]);
    assert.deepEqual(
      children.map((c) => `${c.label}: ${c.description}`),
      [
        'ratings: taken over by bob · copy Ready · router',
        'catalog: taken over by alice · copy not Ready · router',
        'bob: active',
        'alice: you · active',
      ],
    );
  });

  it('shows a session whose every Lease expired as orphaned, with Clean Up', () => {
    const views = sessionViews(
      inputs({
        me: 'carol',
        records: [record('old', { createdBy: 'bob', services: [{ service: 'web', owner: 'bob' }] })],
        leases: [lease('old', 'bob', 120)],
      }),
    );
    const [row] = rootRows({ phase: 'synced', where: { context: 'dev', namespace: 'shop' } }, views, now);
    assert.equal(row.contextValue, treeItemContexts.sessionOrphaned);
    assert.match(row.description!, /^orphaned · by bob/);
    assert.match(row.tooltip!, /Clean Up/);
    assert.deepEqual(
      childRows(views[0]).map((c) => `${c.label}: ${c.description}`),
      ['web: taken over by bob · live · router', 'bob: Lease expired'],
    );
  });

  it("marks a session where only a colleague's Lease expired, and offers Clean Up for their part; my own expired Lease is not theirs to clean", () => {
    const records = [
      record('checkout', {
        createdBy: 'bob',
        participants: ['bob', 'alice', 'carol'],
        services: [
          { service: 'ratings', owner: 'bob' },
          { service: 'catalog', owner: 'alice' },
        ],
      }),
    ];
    const where = { phase: 'synced' as const, where: { context: 'dev', namespace: 'shop' } };
    // bob's Lease stood still for 120 s; alice (me) and carol renew theirs.
    const leases = [lease('checkout', 'bob', 120), lease('checkout', 'alice', 2), lease('checkout', 'carol', 2)];
    const [mine] = rootRows(where, sessionViews(inputs({ records, leases })), now);
    assert.equal(mine.contextValue, treeItemContexts.sessionMineExpired);
    assert.equal(mine.description, '1 Lease expired · by bob · 3 participants · 10m · joined');
    assert.match(mine.tooltip!, /bob no longer renews a Lease: \*\*Clean Up\*\* gives back what it took over/);
    const [theirs] = rootRows(where, sessionViews(inputs({ me: 'dave', records, leases })), now);
    assert.equal(theirs.contextValue, treeItemContexts.sessionOtherExpired);
    // Only my own Lease expired: nothing for me to clean up in others' names.
    const mineLate = [lease('checkout', 'bob', 2), lease('checkout', 'alice', 120), lease('checkout', 'carol', 2)];
    const [late] = rootRows(where, sessionViews(inputs({ records, leases: mineLate })), now);
    assert.equal(late.contextValue, treeItemContexts.sessionMine);
    assert.doesNotMatch(late.description!, /expired/);
  });

  it("does not call a session orphaned while it is still settling, nor a colleague's live one mine", () => {
    const views = sessionViews(inputs({ records: [record('fresh', { createdBy: 'bob', createdAgo: 2 })], leases: [] }));
    assert.equal(views[0].orphaned, false);
    const [row] = rootRows({ phase: 'synced', where: { context: 'dev', namespace: 'shop' } }, views, now);
    assert.equal(row.contextValue, treeItemContexts.sessionOther);
  });

  it('says when it is listing, failing, or has nothing to show', () => {
    const where = { context: 'dev', namespace: 'shop' };
    assert.equal(rootRows({ phase: 'starting', where }, [], now)[0].label, 'Listing sessions in shop…');
    assert.equal(
      rootRows({ phase: 'error', where, message: 'forbidden' }, [], now)[0].label,
      'Cannot list sessions in shop: forbidden',
    );
    assert.deepEqual(rootRows({ phase: 'synced', where }, [], now), []);
    assert.equal(viewDescription({ phase: 'synced', where }), 'dev / shop');
  });

  it('formats ages', () => {
    assert.deepEqual(
      ['2030-01-01T11:59:15Z', '2030-01-01T11:00:00Z', '2029-12-30T12:00:00Z'].map((t) => formatAge(t, now)),
      ['45s', '1h', '2d'],
    );
  });
});

describe('SessionsWatch', () => {
  const disposables: { dispose(): void }[] = [];
  afterEach(() => disposables.splice(0).forEach((d) => d.dispose()));

  it('follows records and Leases by watch, and tells the Clusters view who holds a service', () => {
    const clusters = FakeClusters.of([contextSummary('dev', 'shop', { user: 'alice' })]);
    const watch = new SessionsWatch(clusters, 'w1', () => now, 60_000);
    disposables.push(watch);
    let fired = 0;
    watch.onDidChange(() => fired++);
    watch.follow({ context: 'dev', namespace: 'shop' });
    const conn = clusters.connection('dev');
    assert.equal(watch.state.phase, 'starting');
    conn.informer('ConfigMap', 'shop').sync([{ metadata: { name: 'kube-root-ca.crt' } }]);
    conn.informer('Lease', 'shop').sync([]);
    conn.informer('Deployment', 'shop').sync([]);
    assert.equal(watch.state.phase, 'synced');
    assert.deepEqual(watch.sessions(), []);

    const before = fired;
    conn
      .informer('ConfigMap', 'shop')
      .apply({ upsert: [record('checkout', { createdBy: 'bob', services: [{ service: 'ratings', owner: 'bob' }] })] });
    conn.informer('Lease', 'shop').apply({ upsert: [lease('checkout', 'bob', 1)] });
    assert.ok(fired > before);
    assert.deepEqual(
      watch.sessions().map((s) => s.session),
      ['checkout'],
    );
    assert.equal(
      watch.takenOverBy({ context: 'dev', kind: 'Service', namespace: 'shop', name: 'ratings' }),
      'bob in session checkout',
    );
    assert.equal(watch.takenOverBy({ context: 'dev', kind: 'Service', namespace: 'shop', name: 'web' }), undefined);
    assert.equal(
      watch.takenOverBy({ context: 'dev', kind: 'Service', namespace: 'other', name: 'ratings' }),
      undefined,
    );

    conn.informer('ConfigMap', 'shop').apply({ remove: ['devlane-session-checkout'] });
    assert.deepEqual(watch.sessions(), []);
    assert.equal(watch.takenOverBy({ context: 'dev', kind: 'Service', namespace: 'shop', name: 'ratings' }), undefined);
  });

  it('shows records that fail validation as unreadable rows with their error and Delete Record, and carries on with the others', () => {
    const clusters = FakeClusters.of([contextSummary('dev', 'shop', { user: 'alice' })]);
    const watch = new SessionsWatch(clusters, 'w1', () => now, 60_000);
    disposables.push(watch);
    watch.follow({ context: 'dev', namespace: 'shop' });
    const conn = clusters.connection('dev');
    const good = record('checkout', { createdBy: 'bob', services: [{ service: 'ratings', owner: 'bob' }] });
    const oops = withText(record('oops'), (state) => (state.participants = 'oops'));
    const planted = withText(record('planted'), (state) =>
      state.services.push({
        service: 'ratings',
        owner: 'mallory',
        workload: '',
        devService: 'x',
        strategy: 'router',
        state: 'live',
        undo: [
          {
            kind: 'edit',
            ref: { type: 'service', namespace: 'payments', name: 'api' },
            edit: { kind: 'service.switchSelector', selector: { app: 'evil' } },
            summary: 'Tidy up',
          },
        ],
      }),
    );
    conn.informer('ConfigMap', 'shop').sync([good, oops, planted]);
    conn.informer('Lease', 'shop').sync([lease('checkout', 'bob', 1)]);
    conn.informer('Deployment', 'shop').sync([]);
    assert.deepEqual(
      watch.sessions().map((v) => v.session),
      ['checkout'],
    );
    assert.equal(
      watch.takenOverBy({ context: 'dev', kind: 'Service', namespace: 'shop', name: 'ratings' }),
      'bob in session checkout',
    );
    const rows = rootRows(watch.state, watch.sessions(), now, watch.unreadableRecords());
    assert.deepEqual(
      rows.map((r) => `${r.label} ${r.contextValue}`),
      [
        'checkout devlane.session.other',
        'devlane-session-oops devlane.session.unreadable',
        'devlane-session-planted devlane.session.unreadable',
      ],
    );
    assert.equal(
      rows[1].description,
      'unreadable: Session record devlane-session-oops cannot be used: participants: must be a list (got "oops")',
    );
    assert.match(
      rows[2].description!,
      /services\[0\]\.undo\[0\]\.ref\.namespace: "payments" is not the record's namespace "shop"/,
    );
    assert.match(rows[2].tooltip!, /Delete Record/);
    assert.deepEqual(rows[2].record, {
      context: 'dev',
      namespace: 'shop',
      record: 'devlane-session-planted',
      uid: 'uid-planted',
      error: rows[2].description!.replace(/^unreadable: /, ''),
    });
    assert.deepEqual(
      rootRows(watch.state, [], now, watch.unreadableRecords()).map((r) => r.kind),
      ['unreadable', 'unreadable'],
      'shown even when no session reads',
    );
  });

  it('also watches every namespace this window is in a session in, groups the view by place, and lets go of a place it left', async () => {
    const clusters = FakeClusters.of([contextSummary('dev', 'shop', { user: 'alice' })]);
    const watch = new SessionsWatch(clusters, 'w1', () => now, 60_000);
    disposables.push(watch);
    const shop = { context: 'dev', namespace: 'shop' };
    const plain = { context: 'dev', namespace: 'shop-plain' };
    watch.follow(shop);
    const conn = clusters.connection('dev');
    const syncPlace = (ns: string, records: ConfigMapObject[], leases: any[]) => {
      conn.informer('ConfigMap', ns).sync(records);
      conn.informer('Lease', ns).sync(leases);
      conn.informer('Deployment', ns).sync([]);
    };
    syncPlace('shop', [], []);
    syncPlace(
      'shop-plain',
      [record('alice-ratings', { createdBy: 'alice#w1', services: [{ service: 'ratings', owner: 'alice#w1' }] })],
      [lease('alice-ratings', 'alice#w1', 1)],
    );
    assert.deepEqual(watch.sessions(), [], 'a namespace neither followed nor one of mine is not listed');
    assert.equal(
      watch.takenOverBy({ context: 'dev', kind: 'Service', namespace: 'shop-plain', name: 'ratings' }),
      undefined,
    );

    // A session started in shop-plain while Devlane works in shop.
    watch.follow(shop, [plain]);
    await new Promise((r) => setImmediate(r));
    const ref = { ...plain, session: 'alice-ratings' };
    assert.deepEqual(
      watch.sessions().map((v) => `${v.namespace}/${v.session}`),
      ['shop-plain/alice-ratings'],
    );
    assert.equal(watch.get(ref)?.mine, true);
    assert.equal(watch.userAt(plain), 'alice#w1');
    assert.equal(watch.myLease(ref), 'ok');
    assert.equal(watch.record(ref)?.services[0].service, 'ratings');
    assert.equal(
      watch.takenOverBy({ context: 'dev', kind: 'Service', namespace: 'shop-plain', name: 'ratings' }),
      'alice in session alice-ratings',
    );
    assert.equal(
      watch.state.phase === 'synced' && watch.state.where.namespace,
      'shop',
      'the view still says where Devlane works',
    );

    const roots = rootRows(watch.state, watch.sessions(), now, watch.unreadableRecords(), watch.placeStates());
    assert.deepEqual(
      roots.map((r) => `${r.kind} ${r.label}: ${r.description}`),
      ['place shop: dev · followed · 0 sessions', 'place shop-plain: dev · 1 session'],
    );
    const places = watch.placeStates();
    assert.deepEqual(
      placeChildren(places[0], watch.sessions(), now, watch.unreadableRecords()).map((r) => r.label),
      ['No routed sessions here'],
    );
    assert.deepEqual(
      placeChildren(places[1], watch.sessions(), now, watch.unreadableRecords()).map((r) => `${r.kind} ${r.label}`),
      ['session alice-ratings'],
    );

    // Refresh keeps the places of mine; leaving the session lets go of shop-plain's watches.
    watch.follow(shop);
    assert.deepEqual(
      watch.sessions().map((v) => v.session),
      ['alice-ratings'],
    );
    watch.follow(shop, []);
    assert.deepEqual(watch.sessions(), []);
    assert.equal(conn.informer('ConfigMap', 'shop-plain').leases, 0, 'no watch is left on shop-plain');
    assert.deepEqual(
      rootRows(watch.state, watch.sessions(), now, watch.unreadableRecords(), watch.placeStates()),
      [],
      'one place again: flat, and empty (the welcome text shows)',
    );
  });

  it('reports my Lease as late, then lost, as time passes without renewal', async () => {
    let t = now;
    const clusters = FakeClusters.of([contextSummary('dev', 'shop', { user: 'alice' })]);
    const watch = new SessionsWatch(clusters, 'w1', () => t, 60_000);
    disposables.push(watch);
    watch.follow({ context: 'dev', namespace: 'shop' });
    const conn = clusters.connection('dev');
    conn.informer('ConfigMap', 'shop').sync([record('mine', { createdBy: 'alice#w1' })]);
    conn.informer('Lease', 'shop').sync([lease('mine', 'alice#w1', 1), lease('mine', 'alice#w2', 1)]);
    const ref = { context: 'dev', namespace: 'shop', session: 'mine' };
    await new Promise((r) => setImmediate(r));
    assert.equal(watch.user, 'alice#w1', 'me: the user the server authenticates, in this window');
    assert.equal(watch.get(ref)?.mine, true);
    assert.equal(watch.myLease(ref), 'ok');
    t = new Date(now.getTime() + 20_000);
    assert.equal(watch.myLease(ref), 'late');
    t = new Date(now.getTime() + 60_000);
    assert.equal(watch.myLease(ref), 'lost');
  });

  it('releases its watches when it follows another namespace, and when disposed', () => {
    const clusters = FakeClusters.of([contextSummary('dev', 'shop')]);
    const watch = new SessionsWatch(clusters, 'w1', () => now, 60_000);
    watch.follow({ context: 'dev', namespace: 'shop' });
    const conn = clusters.connection('dev');
    assert.equal(conn.leaseCount, 3);
    watch.follow({ context: 'dev', namespace: 'other' });
    assert.equal(conn.informer('ConfigMap', 'shop').leases, 0);
    assert.equal(conn.leaseCount, 3);
    watch.dispose();
    assert.equal(conn.leaseCount, 0);
  });
});
