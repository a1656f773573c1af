import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { looksLikeProduction, parseGlobList } from '../../../src/core/session/globs';
import { defaultSessionName, devServiceName, fitName, isRouteKey, newRouteKey, sessionNameProblem } from '../../../src/core/session/names';
import { roleManifest, rulesFor } from '../../../src/core/session/role';
import { leaseExpired, microTime } from '../../../src/session/lease';

describe('session names', () => {
  it('defaults to <user>-<hash>-<service>, DNS-safe and at most 30 characters', () => {
    assert.match(defaultSessionName('alice', 'ratings'), /^alice-[0-9a-f]{4}-ratings$/);
    assert.match(defaultSessionName('Alice.Smith@Corp', 'Ratings_API'), /^alice-smith-[0-9a-f]{4}-ratings-api$/);
    const long = defaultSessionName('a-very-long-user-name-indeed', 'an-even-longer-service-name');
    assert.ok(long.length <= 30, long);
    assert.equal(sessionNameProblem(long), undefined);
    assert.equal(sessionNameProblem(defaultSessionName('42', 'x')), undefined);
  });

  it('refuses names Kubernetes would refuse', () => {
    assert.match(sessionNameProblem('Bad_Name')!, /lower-case/);
    assert.match(sessionNameProblem('')!, /empty/);
    assert.match(sessionNameProblem('a'.repeat(31))!, /longer than 30/);
  });

  it('keeps long dev Service names unique within 63 characters', () => {
    const a = devServiceName('s'.repeat(50), 'session-one-which-is-long');
    const b = devServiceName('s'.repeat(50), 'session-two-which-is-long');
    assert.ok(a.length <= 63 && b.length <= 63);
    assert.notEqual(a, b);
    assert.equal(devServiceName('ratings', 'alice-ratings'), 'ratings-dl-alice-ratings');
    assert.equal(fitName(['x', 'y']), 'x-y');
  });

  it('makes route keys of 192 random bits, base64url', () => {
    const k = newRouteKey();
    assert.match(k, /^[A-Za-z0-9_-]{32}$/);
    assert.notEqual(newRouteKey(), k);
    assert.ok(isRouteKey(k));
    assert.ok(!isRouteKey('short'));
    assert.ok(!isRouteKey(`${k}"; evil`));
  });
});

describe('production contexts', () => {
  it('matches *prod* and *live* by default, case-insensitively, whole name', () => {
    assert.ok(looksLikeProduction('gke_acme_europe_PROD-1'));
    assert.ok(looksLikeProduction('shop-live'));
    assert.ok(!looksLikeProduction('sandbox-alice'));
    assert.ok(looksLikeProduction('eu.cluster', ['eu.*']));
    assert.ok(!looksLikeProduction('euXcluster', ['eu.*']));
    assert.deepEqual(parseGlobList(' *prd*, ,eu-?-main '), ['*prd*', 'eu-?-main']);
    assert.deepEqual(parseGlobList(''), [], 'an empty list: no context is production-like');
  });
});

describe('leases', () => {
  it('writes MicroTime and expires after the duration plus grace', () => {
    assert.match(microTime(new Date('2026-01-01T00:00:00.123Z')), /^2026-01-01T00:00:00\.123000Z$/);
    const lease = { metadata: { name: 'l' }, spec: { renewTime: '2026-01-01T00:00:00.000000Z', leaseDurationSeconds: 30 } };
    assert.ok(!leaseExpired(lease, new Date('2026-01-01T00:00:34Z')));
    assert.ok(leaseExpired(lease, new Date('2026-01-01T00:00:36Z')));
    assert.ok(leaseExpired(undefined, new Date()));
  });
});

describe('role for missing permissions', () => {
  it('groups checks into rules and renders a Role', () => {
    const rules = rulesFor([
      { verb: 'create', group: 'apps', resource: 'deployments', namespace: 'shop' },
      { verb: 'delete', group: 'apps', resource: 'deployments', namespace: 'shop' },
      { verb: 'create', group: '', resource: 'pods', subresource: 'exec', namespace: 'shop' },
    ]);
    assert.deepEqual(rules, [
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['create', 'delete'] },
      { apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] },
    ]);
    const yaml = roleManifest('shop', rules);
    assert.match(yaml, /kind: Role\n/);
    assert.match(yaml, /namespace: shop/);
    assert.match(yaml, /apiGroups: \[""\]\n {4}resources: \[pods\/exec\]/);
  });
});
