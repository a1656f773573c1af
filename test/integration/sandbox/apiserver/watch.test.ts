// Watch as clients see it: @kubernetes/client-node's informer recovering from dropped watches and
// 410 Gone, bookmarks, server-side timeouts, and the API faults tests rely on.

import assert from 'node:assert/strict';
import * as https from 'node:https';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import type { KObject } from '../../../../sandbox/core/types';
import { startHarness, type Harness } from './harness';

let h: Harness;
let kc: k8s.KubeConfig;
before(async () => {
  h = await startHarness({ bookmarkIntervalMs: 200 });
  kc = new k8s.KubeConfig();
  kc.loadFromFile(h.kubeconfig);
  kc.setCurrentContext('sandbox-admin');
  h.store.create('namespaces', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'w' } });
});
after(async () => {
  await h.close();
});

const cm = (name: string): KObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { v: name } });

/** Opens a raw watch and collects its events until the server ends the stream. */
function rawWatch(query: string): { events: KObject[]; ended: Promise<number>; close(): void } {
  const events: KObject[] = [];
  let req: ReturnType<typeof https.request> | undefined;
  const ended = new Promise<number>((resolve, reject) => {
    req = https.request(
      new URL(`/api/v1/namespaces/w/configmaps?watch=1&${query}`, h.server.url),
      { ca: h.server.caCertPem, headers: { authorization: `Bearer ${h.server.tokens.admin}` } },
      (res) => {
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          buf += d;
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            events.push(JSON.parse(buf.slice(0, i)));
            buf = buf.slice(i + 1);
          }
        });
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
  return { events, ended, close: () => req?.destroy() };
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const fault = (body: unknown) => h.request('POST', '/sandbox/v1/faults', { body });

describe('watch', () => {
  it('keeps a client-node informer in step across dropped watches and expired history (410 Gone)', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/w/configmaps', () =>
      core.listNamespacedConfigMap({ namespace: 'w' }),
    );
    const errors: unknown[] = [];
    informer.on('error', (e) => errors.push(e));
    await informer.start();
    try {
      h.store.create('configmaps', 'w', cm('a'));
      h.store.create('configmaps', 'w', cm('gone'));
      await until(() => informer.list('w').length === 2);
      // While the informer is cut off, history is expired: its re-watch from the old
      // resourceVersion gets 410, so it must list again to learn what happened.
      await fault({ kind: 'expire-history' });
      await fault({ kind: 'drop-watches' });
      h.store.create('configmaps', 'w', cm('b'));
      h.store.delete('configmaps', 'w', 'gone');
      await until(
        () =>
          informer
            .list('w')
            .map((o) => o.metadata!.name)
            .sort()
            .join() === 'a,b',
      );
      h.store.create('configmaps', 'w', cm('c'));
      await until(() => informer.list('w').length === 3);
      assert.deepEqual(errors, []);
    } finally {
      await informer.stop();
    }
  });

  it('answers a watch from a resourceVersion older than the history with one ERROR event carrying a 410 Expired Status', async () => {
    const old = h.store.currentResourceVersion();
    h.store.create('configmaps', 'w', cm('old-1'));
    await fault({ kind: 'expire-history' });
    const w = rawWatch(`resourceVersion=${old}`);
    const code = await w.ended;
    assert.equal(code, 200);
    assert.equal(w.events.length, 1);
    assert.equal(w.events[0].type, 'ERROR');
    assert.equal(w.events[0].object.kind, 'Status');
    assert.equal(w.events[0].object.code, 410);
    assert.equal(w.events[0].object.reason, 'Expired');
  });

  it('sends events from a resourceVersion, bookmarks when asked, and ends at timeoutSeconds', async () => {
    const from = h.store.currentResourceVersion();
    h.store.create('configmaps', 'w', cm('rv-1'));
    const w = rawWatch(`resourceVersion=${from}&allowWatchBookmarks=true&timeoutSeconds=1`);
    h.store.create('configmaps', 'w', cm('rv-2'));
    assert.equal(await w.ended, 200);
    const types = w.events.map((e) => (e.type === 'BOOKMARK' ? 'BOOKMARK' : `${e.type}:${e.object.metadata.name}`));
    assert.deepEqual(
      types.filter((t) => t !== 'BOOKMARK'),
      ['ADDED:rv-1', 'ADDED:rv-2'],
    );
    assert.ok(types.includes('BOOKMARK'));
    const bm = w.events.find((e) => e.type === 'BOOKMARK')!;
    assert.equal(bm.object.kind, 'ConfigMap');
    assert.ok(Number(bm.object.metadata.resourceVersion) >= Number(w.events[1].object.metadata.resourceVersion));
  });

  it('reports ADDED for current objects on a watch without resourceVersion, and follows objects into and out of a label selection', async () => {
    h.store.create('configmaps', 'w', { ...cm('labelled'), metadata: { name: 'labelled', labels: { pick: 'me' } } });
    const w = rawWatch('labelSelector=pick%3Dme&timeoutSeconds=1');
    await until(() => w.events.length === 1);
    const relabel = (labels: Record<string, string>) => {
      const o = h.store.get('configmaps', 'w', 'a');
      o.metadata.labels = labels;
      h.store.update('configmaps', 'w', o);
    };
    relabel({ pick: 'me' }); // enters the selection: ADDED
    relabel({ pick: 'me', more: 'x' }); // stays: MODIFIED
    relabel({}); // leaves it: DELETED
    await w.ended;
    assert.deepEqual(
      w.events.map((e) => `${e.type}:${e.object.metadata.name}`),
      ['ADDED:labelled', 'ADDED:a', 'MODIFIED:a', 'DELETED:a'],
    );
  });

  it('answers 503 while the api-down fault lasts, and closes open watches', async () => {
    const w = rawWatch('');
    await until(() => w.events.length > 0);
    const f = await fault({ kind: 'api-down', ms: 300 });
    assert.equal(f.status, 200);
    assert.deepEqual(f.body, { ok: true });
    await w.ended;
    const down = await h.request('GET', '/api/v1/namespaces/w/configmaps');
    assert.equal(down.status, 503);
    assert.equal(down.body.reason, 'ServiceUnavailable');
    await new Promise((r) => setTimeout(r, 350));
    assert.equal((await h.request('GET', '/api/v1/namespaces/w/configmaps')).status, 200);
  });

  it('lets only the admin inject faults, and passes the node faults on', async () => {
    const denied = await h.request('POST', '/sandbox/v1/faults', { as: 'alice', body: { kind: 'drop-watches' } });
    assert.equal(denied.status, 403);
    const ok = await fault({ kind: 'kill-container', namespace: 'w', pod: 'p' });
    assert.equal(ok.status, 200);
    assert.deepEqual(h.faults, [{ kind: 'kill-container', namespace: 'w', pod: 'p' }]);
  });
});
