import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { ChangeBatch, InformerStatus } from '../../../src/cluster/api';
import { Informer } from '../../../src/cluster/informer';
import { ClusterError } from '../../../src/core/errors';
import type { KubeObject } from '../../../src/core/resources';
import { FakeListWatch } from '../../fakes/list-watch';

const obj = (name: string, rv: string): KubeObject => ({ kind: 'Thing', metadata: { name, resourceVersion: rv } });
const names = (inf: Informer<KubeObject>) =>
  [...inf.values()].map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`).sort();
const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

function setup(opts: { watchdogMs?: number; backoffMs?: number } = {}) {
  const lw = new FakeListWatch<KubeObject>();
  const inf = new Informer(lw, {
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    backoff: { initialMs: opts.backoffMs ?? 5, factor: 2, maxMs: 50, jitter: 0 },
    timeoutSeconds: () => 60,
    watchdogMs: () => opts.watchdogMs ?? 60_000,
    batchMs: 1,
  });
  const batches: ChangeBatch<KubeObject>[] = [];
  const statuses: InformerStatus[] = [];
  inf.onDidChange((b) => batches.push(b));
  inf.onDidChangeStatus((s) => statuses.push(s));
  disposables.push(inf);
  inf.start();
  return { lw, inf, batches, statuses };
}
const disposables: { dispose(): void }[] = [];
afterEach(() => disposables.splice(0).forEach((d) => d.dispose()));

describe('Informer', () => {
  it('lists, then watches from the list resourceVersion with the changes applied', async () => {
    const { lw, inf, batches, statuses } = setup();
    await lw.answerList([obj('a', '1'), obj('b', '2')], '10');
    const w = await lw.nextWatch();
    assert.equal(w.resourceVersion, '10');
    assert.deepEqual(
      statuses.map((s) => s.phase),
      ['synced'],
    );
    assert.deepEqual(batches[0].added.map((o) => o.metadata.name).sort(), ['a', 'b']);

    w.send('ADDED', obj('c', '11'));
    w.send('MODIFIED', obj('a', '12'));
    w.send('DELETED', obj('b', '13'));
    await tick(10);
    assert.deepEqual(names(inf), ['a@12', 'c@11']);
    const last = batches.at(-1)!;
    assert.deepEqual([last.added.length, last.updated.length, last.deleted.length], [1, 1, 1]);
  });

  it('coalesces changes inside one batch window: added then deleted is no change at all', async () => {
    const { lw, batches } = setup();
    await lw.answerList([], '1');
    const w = await lw.nextWatch();
    const before = batches.length;
    w.send('ADDED', obj('x', '2'));
    w.send('MODIFIED', obj('x', '3'));
    w.send('DELETED', obj('x', '4'));
    await tick(10);
    assert.equal(batches.length, before);
  });

  it('watches again from the last resourceVersion (bookmarks included) when the server ends the watch', async () => {
    const { lw } = setup();
    await lw.answerList([obj('a', '1')], '5');
    const w1 = await lw.nextWatch();
    w1.send('MODIFIED', obj('a', '6'));
    w1.send('BOOKMARK', { kind: 'Thing', metadata: { resourceVersion: '9' } });
    w1.end();
    const w2 = await lw.nextWatch();
    assert.equal(w2.resourceVersion, '9');
    assert.equal(lw.lists, 1, 'a normal end must not relist');
  });

  it('relists on 410 Gone and reconciles: objects deleted meanwhile are reported deleted', async () => {
    const { lw, inf, batches } = setup();
    await lw.answerList([obj('a', '1'), obj('b', '2'), obj('c', '3')], '3');
    const w = await lw.nextWatch();
    w.send('ERROR', { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' });
    // The server's state now: b is gone, c changed, d is new, a unchanged.
    await lw.answerList([obj('a', '1'), obj('c', '7'), obj('d', '8')], '8');
    const w2 = await lw.nextWatch();
    assert.equal(w2.resourceVersion, '8');
    assert.deepEqual(names(inf), ['a@1', 'c@7', 'd@8']);
    const last = batches.at(-1)!;
    assert.deepEqual(
      last.deleted.map((o) => o.metadata.name),
      ['b'],
    );
    assert.deepEqual(
      last.updated.map((u) => u.after.metadata.name),
      ['c'],
    );
    assert.deepEqual(
      last.added.map((o) => o.metadata.name),
      ['d'],
    );
  });

  it('treats an HTTP 410 on the watch request like a 410 event', async () => {
    const { lw } = setup();
    await lw.answerList([], '3');
    (await lw.nextWatch(false)).fail(new ClusterError('gone', 'expired', '', 410));
    await lw.answerList([], '9');
    assert.equal((await lw.nextWatch()).resourceVersion, '9');
  });

  it('backs off after errors, reports them, keeps the cache, and recovers without relisting', async () => {
    const { lw, inf, statuses } = setup();
    await lw.answerList([obj('a', '1')], '1');
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    (await lw.nextWatch(false)).fail(refused);
    (await lw.nextWatch(false)).fail(refused);
    assert.equal(inf.status.phase, 'error');
    assert.equal(inf.status.error?.kind, 'unreachable');
    assert.equal(inf.status.hasSynced, true);
    assert.deepEqual(names(inf), ['a@1']);
    const w = await lw.nextWatch();
    assert.equal(w.resourceVersion, '1');
    assert.equal(inf.status.phase, 'synced');
    assert.deepEqual(
      statuses.map((s) => s.phase),
      ['synced', 'error', 'synced'],
    );
    assert.equal(lw.lists, 1);
  });

  it('retries a failed first list, and retryNow skips the wait', async () => {
    const { lw, inf } = setup({ backoffMs: 60_000 });
    await lw.failList(Object.assign(new Error('Forbidden'), { statusCode: 403 }));
    await tick(5);
    assert.equal(inf.status.phase, 'error');
    assert.equal(inf.status.error?.kind, 'forbidden');
    assert.equal(inf.status.hasSynced, false);
    inf.retryNow();
    await lw.answerList([obj('a', '1')], '1');
    await lw.nextWatch();
    assert.equal(inf.status.phase, 'synced');
  });

  it('restarts a watch that went silent (watchdog)', async () => {
    const { lw } = setup({ watchdogMs: 30 });
    await lw.answerList([], '4');
    const silent = await lw.nextWatch();
    const restarted = await lw.nextWatch();
    assert.ok(silent.signal.aborted, 'the silent watch was cut');
    assert.equal(restarted.resourceVersion, '4');
  });

  it('stops watching when disposed', async () => {
    const { lw, inf, statuses } = setup();
    await lw.answerList([], '1');
    const w = await lw.nextWatch();
    inf.dispose();
    assert.ok(w.signal.aborted);
    assert.equal(statuses.at(-1)?.phase, 'stopped');
  });
});
