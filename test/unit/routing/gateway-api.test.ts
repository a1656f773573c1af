// Gateway API routes: a session's twin of every HTTPRoute rule that sends traffic to the Service,
// keyed by header or baggage, and an undo that removes exactly that session's rules.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EditResult } from '../../../src/routing/edit-result';
import {
  addGatewayRoute,
  anchoredBaggagePattern,
  findHttpRoutes,
  type HttpRoute,
  markedFilters,
  removeGatewayRoute,
} from '../../../src/routing/gateway-api';

const k1 = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1';
const k2 = 'BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB2';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const updated = (r: EditResult): any => {
  assert.equal(r.kind, 'update');
  return (r as { object: unknown }).object;
};

const route = (): HttpRoute => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'shop', namespace: 'shop', creationTimestamp: '2026-01-01T00:00:00Z' },
  spec: {
    parentRefs: [{ name: 'public' }],
    rules: [
      {
        matches: [{ path: { type: 'PathPrefix', value: '/api' }, method: 'GET' }],
        filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { add: [{ name: 'x-a', value: '1' }] } }],
        backendRefs: [
          { name: 'ratings', port: 80, weight: 90 },
          { name: 'ratings-canary', port: 80, weight: 10 },
        ],
      },
      { backendRefs: [{ name: 'ratings', port: 80 }] },
      { matches: [{ path: { type: 'PathPrefix', value: '/web' } }], backendRefs: [{ name: 'web', port: 80 }] },
    ],
  },
});

describe('Gateway API routes', () => {
  it("adds a keyed twin of each rule that routes to the Service, sending only the Service's share to the copy", () => {
    const next = updated(addGatewayRoute(route(), 'shop', 'ratings', k1, 'ratings-dl-s1', 's1'));
    assert.equal(next.spec.rules.length, 5);
    const [api, all] = next.spec.rules;
    assert.deepEqual(api.matches, [
      {
        path: { type: 'PathPrefix', value: '/api' },
        method: 'GET',
        headers: [{ type: 'Exact', name: 'x-devlane-route', value: k1 }],
      },
      {
        path: { type: 'PathPrefix', value: '/api' },
        method: 'GET',
        headers: [{ type: 'RegularExpression', name: 'baggage', value: anchoredBaggagePattern(k1) }],
      },
    ]);
    assert.deepEqual(api.backendRefs, [{ name: 'ratings-dl-s1', port: 80 }]);
    assert.deepEqual(
      api.filters,
      [
        ...route().spec!.rules[0].filters,
        { type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ name: 'x-devlane-copy', value: 's1' }] } },
      ],
      "the rule's filters, and the copy marker",
    );
    assert.deepEqual(all.filters, [
      { type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ name: 'x-devlane-copy', value: 's1' }] } },
    ]);
    assert.deepEqual(all.matches[0], {
      path: { type: 'PathPrefix', value: '/' },
      headers: [{ type: 'Exact', name: 'x-devlane-route', value: k1 }],
    });
    assert.deepEqual(next.spec.rules.slice(2), route().spec!.rules, 'the original rules are kept as they are');
  });

  it('matches baggage carrying exactly the key whether the implementation matches the whole value or any part', () => {
    const baggage = updated(addGatewayRoute(route(), 'shop', 'ratings', k1, 'ratings-dl-s1', 's1')).spec.rules[0]
      .matches[1].headers[0].value;
    // A JavaScript RegExp's test() is a partial match (as Traefik's Go regexp); `^(?:…)$` is a whole-value one (as Envoy's RE2).
    const partial = new RegExp(baggage);
    const whole = new RegExp(`^(?:${baggage})$`);
    for (const v of [`devlane=${k1}`, `user=7, devlane=${k1};p=1`, `a=1,devlane = ${k1} ,b=2`]) {
      assert.ok(partial.test(v), v);
      assert.ok(whole.test(v), v);
    }
    for (const v of [`devlane=${k1}x`, `xdevlane=${k1}`, `devlane=x${k1}`, `devlane=${k2}`, `other=${k1}`, '']) {
      assert.ok(!partial.test(v), v);
      assert.ok(!whole.test(v), v);
    }
  });

  it('composes sessions and undoes one session at a time', () => {
    const one = updated(addGatewayRoute(route(), 'shop', 'ratings', k1, 'ratings-dl-s1', 's1'));
    const two = updated(addGatewayRoute(one, 'shop', 'ratings', k2, 'ratings-dl-s2', 's2'));
    assert.equal(two.spec.rules.length, 7, "the second session twins only the original rules, not the first session's");
    assert.deepEqual(
      updated(addGatewayRoute(two, 'shop', 'ratings', k2, 'ratings-dl-s2', 's2')).spec.rules.length,
      7,
      'adding again replaces',
    );
    const back = updated(removeGatewayRoute(two, k1));
    assert.ok(
      back.spec.rules.every(
        (r: { backendRefs: { name: string }[] }) => r.backendRefs[0].name !== 'ratings-dl-s1',
        's1',
      ),
    );
    assert.deepEqual(updated(removeGatewayRoute(back, k2)), route());
    assert.equal(removeGatewayRoute(route(), k1).kind, 'unchanged');
  });

  it('undoes a session recorded before responses were marked (twins without the marker filter)', () => {
    const marked = updated(addGatewayRoute(route(), 'shop', 'ratings', k1, 'ratings-dl-s1', 's1'));
    const older = structuredClone(marked);
    for (const rule of older.spec.rules.slice(0, 2)) {
      rule.filters = rule.filters.filter((f: { type: string }) => f.type !== 'ResponseHeaderModifier');
      if (rule.filters.length === 0) delete rule.filters;
    }
    assert.deepEqual(updated(removeGatewayRoute(older, k1)), route());
  });

  it("marks responses through the rule's own ResponseHeaderModifier when it has one (a rule may hold only one)", () => {
    const own = [
      { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-a', value: '1' }] } },
      {
        type: 'ResponseHeaderModifier',
        responseHeaderModifier: {
          set: [
            { name: 'cache-control', value: 'no-store' },
            { name: 'X-Devlane-Copy', value: 'forged' },
          ],
          add: [{ name: 'x-devlane-copy', value: 'x' }],
          remove: ['x-internal', 'x-devlane-copy'],
        },
      },
    ];
    const marked = markedFilters(own, 's1');
    assert.equal(marked.filter((f) => f.type === 'ResponseHeaderModifier').length, 1);
    assert.deepEqual(marked[1].responseHeaderModifier, {
      set: [
        { name: 'cache-control', value: 'no-store' },
        { name: 'x-devlane-copy', value: 's1' },
      ],
      remove: ['x-internal'],
    });
    assert.deepEqual(marked[0], own[0]);
    assert.equal(own[1].responseHeaderModifier!.set!.length, 2, 'the original rule is not modified');
    const rule = { ...route().spec!.rules[1], filters: own };
    const next = updated(
      addGatewayRoute({ ...route(), spec: { rules: [rule] } }, 'shop', 'ratings', k1, 'ratings-dl-s1', 's1'),
    );
    assert.deepEqual(next.spec.rules[1], rule, 'the original rule keeps its own filters');
    assert.deepEqual(next.spec.rules[0].filters, marked);
  });

  it('finds the HTTPRoutes that route to the Service, not those of other Services or namespaces', () => {
    const other: HttpRoute = {
      ...route(),
      metadata: { name: 'other', namespace: 'shop' },
      spec: { rules: [{ backendRefs: [{ name: 'ratings', namespace: 'elsewhere', port: 80 }] }] },
    };
    const notService: HttpRoute = {
      ...route(),
      metadata: { name: 'ext', namespace: 'shop' },
      spec: { rules: [{ backendRefs: [{ group: 'example.com', kind: 'Bucket', name: 'ratings' }] }] },
    };
    assert.deepEqual(
      findHttpRoutes([other, notService, route()], 'shop', 'ratings').map((r) => r.metadata.name),
      ['shop'],
    );
    assert.deepEqual(findHttpRoutes([route()], 'shop', 'catalog'), []);
    assert.equal(addGatewayRoute(route(), 'shop', 'catalog', k1, 'catalog-dl-s1', 's1').kind, 'unchanged');
  });
});
