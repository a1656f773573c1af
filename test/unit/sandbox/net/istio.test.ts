import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applyHeaderOps,
  decide,
  matchBlock,
  pickWeighted,
  resolveHost,
  subsetLabels,
  virtualServiceFor,
  type RequestView,
} from '../../../../sandbox/net/istio';
import type { KObject } from '../../../../sandbox/core/types';

const req = (over: Partial<RequestView> = {}): RequestView => ({
  method: 'GET',
  url: '/',
  headers: {},
  port: 80,
  authority: 'ratings',
  ...over,
});
const vs = (name: string, ns: string, spec: Record<string, unknown>, created = '2024-01-01T00:00:00Z'): KObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name, namespace: ns, creationTimestamp: created },
  spec,
});

describe('Istio host names', () => {
  it('resolves short names relative to the namespace of the rule', () => {
    assert.equal(resolveHost('ratings', 'shop'), 'ratings.shop.svc.cluster.local');
    assert.equal(resolveHost('ratings.other', 'shop'), 'ratings.other.svc.cluster.local');
    assert.equal(resolveHost('ratings.other.svc', 'shop'), 'ratings.other.svc.cluster.local');
    assert.equal(resolveHost('ratings.other.svc.cluster.local', 'shop'), 'ratings.other.svc.cluster.local');
  });
  it('picks the oldest mesh VirtualService naming the Service, ignoring gateway-only ones', () => {
    const all = [
      vs(
        'gw',
        'shop',
        { hosts: ['ratings'], gateways: ['shop/ingress'], http: [{ route: [] }] },
        '2020-01-01T00:00:00Z',
      ),
      vs('newer', 'shop', { hosts: ['ratings'], http: [{ route: [] }] }, '2024-02-01T00:00:00Z'),
      vs(
        'older',
        'other',
        { hosts: ['ratings.shop.svc.cluster.local'], gateways: ['mesh'], http: [{ route: [] }] },
        '2024-01-01T00:00:00Z',
      ),
      vs('elsewhere', 'other', { hosts: ['ratings'], http: [{ route: [] }] }, '2019-01-01T00:00:00Z'),
    ];
    assert.equal(virtualServiceFor('shop', 'ratings', all)?.metadata.name, 'older');
  });
});

describe('Istio matches', () => {
  it('headers: exact, prefix, regex as a full match; presence; withoutHeaders', () => {
    const r = req({ headers: { baggage: 'a=1,devlane=KEY,b=2', 'x-user': 'alice' } });
    assert.ok(matchBlock({ headers: { baggage: { regex: '.*devlane=KEY.*' } } }, r));
    assert.ok(!matchBlock({ headers: { baggage: { regex: 'devlane=KEY' } } }, r), 'regex must match the whole value');
    assert.ok(matchBlock({ headers: { 'x-user': { prefix: 'ali' } } }, r));
    assert.ok(!matchBlock({ headers: { 'x-user': { exact: 'ali' } } }, r));
    assert.ok(matchBlock({ headers: { 'x-user': {} } }, r));
    assert.ok(!matchBlock({ headers: { 'x-missing': {} } }, r));
    assert.ok(!matchBlock({ withoutHeaders: { 'x-user': { exact: 'alice' } } }, r));
    assert.ok(matchBlock({ withoutHeaders: { 'x-user': { exact: 'bob' } } }, r));
  });
  it('uri, method, queryParams, port and ANDs within a block', () => {
    const r = req({ method: 'POST', url: '/api/items?debug=1' });
    assert.ok(matchBlock({ uri: { prefix: '/api/' }, method: { exact: 'POST' } }, r));
    assert.ok(!matchBlock({ uri: { prefix: '/api/' }, method: { exact: 'GET' } }, r));
    assert.ok(matchBlock({ uri: { regex: '/api/[a-z]+' }, queryParams: { debug: { exact: '1' } } }, r));
    assert.ok(!matchBlock({ uri: { exact: '/API/items' } }, r));
    assert.ok(matchBlock({ uri: { exact: '/API/items' }, ignoreUriCase: true }, r));
    assert.ok(!matchBlock({ port: 8080 }, r));
  });
  it('takes the first matching route; match blocks are ORed; 404 (no-route) when nothing matches', () => {
    const v = vs('r', 'shop', {
      hosts: ['ratings'],
      http: [
        {
          match: [{ headers: { a: { exact: '1' } } }, { headers: { b: { exact: '1' } } }],
          route: [{ destination: { host: 'dev' } }],
        },
        { match: [{ uri: { prefix: '/x' } }], route: [{ destination: { host: 'ratings', subset: 'v2' } }] },
      ],
    });
    const d1 = decide(v, req({ headers: { b: '1' } }));
    assert.equal(d1.kind === 'forward' && d1.destination.service, 'dev');
    const d2 = decide(v, req({ url: '/x/y' }));
    assert.equal(d2.kind === 'forward' && d2.destination.subset, 'v2');
    assert.equal(decide(v, req()).kind, 'no-route');
  });
});

describe('Istio destinations', () => {
  it('weights split traffic; a lone destination takes everything', () => {
    const ds = [
      { weight: 20, n: 'a' },
      { weight: 80, n: 'b' },
    ];
    assert.equal(pickWeighted(ds, 0.1)?.n, 'a');
    assert.equal(pickWeighted(ds, 0.3)?.n, 'b');
    assert.equal(pickWeighted<{ n: string; weight?: number }>([{ n: 'only' }], 0.99)?.n, 'only');
  });
  it('subsets come from the DestinationRule of the host', () => {
    const dr = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'r', namespace: 'shop' },
      spec: { host: 'ratings', subsets: [{ name: 'v1', labels: { version: 'v1' } }] },
    };
    assert.deepEqual(subsetLabels({ namespace: 'shop', service: 'ratings', subset: 'v1' }, 'shop', [dr]), {
      version: 'v1',
    });
    assert.equal(subsetLabels({ namespace: 'shop', service: 'ratings', subset: 'v9' }, 'shop', [dr]), undefined);
  });
  it('header operations set, add and remove', () => {
    const h: Record<string, string | string[] | undefined> = { a: '1', b: '2', c: '3' };
    applyHeaderOps(h, [{ set: [['a', 'x']], add: [['b', '3']], remove: ['c'] }]);
    assert.deepEqual(h, { a: 'x', b: ['2', '3'] });
  });
});
