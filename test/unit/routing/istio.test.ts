import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EditResult } from '../../../src/routing/edit-result';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const updated = (r: EditResult): any => {
  assert.equal(r.kind, 'update');
  return (r as { object: unknown }).object;
};
import { addIstioRoute, findVirtualService, newVirtualService, removeIstioRoute } from '../../../src/routing/istio';
import { baggagePattern } from '../../../src/routing/match';
import { envoyAttemptsFor, restartWaitMs } from '../../../src/core/session/restart-wait';
import { VirtualService } from '@kubernetes-models/istio/networking.istio.io/v1/VirtualService';

const key = 'AbCdEfGhIjKlMnOpQrStUvWxYz012345';
const full = (re: string, v: string) => new RegExp(`^(?:${re})$`).test(v);

describe('baggage match (RE2 full match)', () => {
  const re = baggagePattern(key);
  it('matches the devlane member among others, with properties and spaces', () => {
    for (const v of [
      `devlane=${key}`,
      `a=1,devlane=${key}`,
      `a=1, devlane = ${key} ;p=1, b=2`,
      `devlane=${key};ttl=3`,
      `x=y,\tdevlane=${key}`,
    ])
      assert.ok(full(re, v), v);
  });
  it('does not match another key, a prefix of the key, or another member name', () => {
    for (const v of [
      `devlane=${key}x`,
      `devlane=${key.slice(1)}`,
      `xdevlane=${key}`,
      `a=devlane=${key}`,
      `other=${key}`,
      '',
    ])
      assert.ok(!full(re, v), v);
  });
});

describe('istio edits', () => {
  const existing = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'ratings', namespace: 'shop', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: {
      hosts: ['ratings'],
      http: [
        {
          name: 'canary',
          match: [{ headers: { canary: { exact: '1' } } }],
          route: [{ destination: { host: 'ratings', subset: 'v2' } }],
        },
        { route: [{ destination: { host: 'ratings', subset: 'v1' } }] },
      ],
    },
  };

  it('finds the VirtualService naming the Service, short or long', () => {
    assert.equal(findVirtualService([existing], 'shop', 'ratings')?.metadata.name, 'ratings');
    assert.equal(
      findVirtualService([{ ...existing, spec: { hosts: ['ratings.shop.svc.cluster.local'] } }], 'shop', 'ratings')
        ?.metadata.name,
      'ratings',
    );
    assert.equal(
      findVirtualService([{ ...existing, spec: { hosts: ['ratings'], gateways: ['public-gw'] } }], 'shop', 'ratings'),
      undefined,
    );
  });

  it('prepends the session route and keeps the others; undo removes only it', () => {
    const a = addIstioRoute(existing, 's1', key, 'ratings-dl-s1');
    assert.equal(a.kind, 'update');
    const vs = updated(a);
    assert.deepEqual(
      vs.spec.http.slice(0, 2).map((h: { name: string }) => h.name),
      ['devlane-s1-idempotent', 'devlane-s1'],
    );
    assert.deepEqual(vs.spec.http.slice(2), existing.spec.http);
    const b = updated(addIstioRoute(vs, 's2', key.replace('A', 'B'), 'ratings-dl-s2'));
    const r = removeIstioRoute(b, 's1');
    assert.equal(r.kind, 'update');
    assert.deepEqual(
      updated(r).spec.http.map((h: { name?: string }) => h.name),
      ['devlane-s2-idempotent', 'devlane-s2', 'canary', undefined],
    );
    assert.equal(removeIstioRoute(existing, 's1').kind, 'unchanged');
  });

  it('marks the responses of the session route, and only those, with x-devlane-copy (valid VirtualService schema)', () => {
    const vs = updated(addIstioRoute(existing, 's1', key, 'ratings-dl-s1'));
    assert.deepEqual(vs.spec.http[0].headers, { response: { set: { 'x-devlane-copy': 's1' } } });
    assert.deepEqual(vs.spec.http[1].headers, { response: { set: { 'x-devlane-copy': 's1' } } });
    assert.ok(
      vs.spec.http.slice(2).every((h: { headers?: unknown }) => h.headers === undefined),
      'other routes are left as they are',
    );
    assert.doesNotThrow(() => new VirtualService(vs).validate());
    // A record written before the marker existed (a route without headers) is still undone by name.
    const old = {
      ...vs,
      spec: { ...vs.spec, http: [{ ...vs.spec.http[1], headers: undefined }, ...vs.spec.http.slice(2)] },
    };
    assert.deepEqual(updated(removeIstioRoute(old, 's1')).spec.http, existing.spec.http);
  });

  it('retries what the copy cannot have received for every method, and a reset only for idempotent methods', () => {
    const vs = updated(addIstioRoute(existing, 's1', key, 'ratings-dl-s1'));
    const [idempotent, all] = vs.spec.http;
    assert.equal(
      all.retries.retryOn,
      'connect-failure,refused-stream',
      'a POST whose bytes may have reached the copy is never sent again',
    );
    assert.equal(idempotent.retries.retryOn, 'connect-failure,refused-stream,reset');
    assert.ok(
      idempotent.match.every(
        (m: { method?: { regex: string } }) => m.method?.regex === 'GET|HEAD|OPTIONS|TRACE|PUT|DELETE',
      ),
    );
    assert.deepEqual(
      idempotent.match.map((m: { headers: unknown }) => m.headers),
      all.match.map((m: { headers: unknown }) => m.headers),
      'the same key matches both',
    );
    // Envoy's back-off (25 ms base, 250 ms cap, fully jittered) over that many retries averages about restartWaitMs.
    assert.equal(all.retries.attempts, envoyAttemptsFor(restartWaitMs));
    assert.doesNotThrow(() => new VirtualService(vs).validate());
  });

  it('deletes a VirtualService Devlane created once its last session route is gone', () => {
    const created = newVirtualService('shop', 'ratings-devlane', 'ratings');
    const one = updated(addIstioRoute(created, 's1', key, 'ratings-dl-s1'));
    assert.equal(one.spec!.http.at(-1).name, 'devlane-default');
    assert.equal(removeIstioRoute(one, 's1').kind, 'delete');
  });
});
