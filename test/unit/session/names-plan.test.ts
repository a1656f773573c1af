import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { looksLikeProduction, parseGlobList, productionReason, serverHost } from '../../../src/core/session/globs';
import { describePlan, type Plan } from '../../../src/core/session/plan';
import {
  defaultSessionName,
  devServiceName,
  fitName,
  isRouteKey,
  newRouteKey,
  sessionNameProblem,
} from '../../../src/core/session/names';
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

  it('matches namespace names against devlane.productionNamespaces, whatever the context', () => {
    assert.equal(
      productionReason({ context: 'kind-dev', namespace: 'payments-prod' }),
      'namespace "payments-prod" matches "*prod*" (devlane.productionNamespaces)',
    );
    assert.match(productionReason({ context: 'kind-dev', namespace: 'LIVE' })!, /namespace "LIVE" matches "\*live\*"/);
    assert.equal(productionReason({ context: 'kind-dev', namespace: 'shop' }), undefined);
    assert.equal(
      productionReason({ context: 'kind-dev', namespace: 'shop-eu' }, { namespaces: ['shop-*'] }),
      'namespace "shop-eu" matches "shop-*" (devlane.productionNamespaces)',
    );
    assert.equal(
      productionReason({ context: 'kind-dev', namespace: 'payments-prod' }, { namespaces: [] }),
      undefined,
      'an empty list: no namespace is production-like',
    );
  });

  it("matches the API server's host against the context globs", () => {
    assert.equal(
      productionReason({ context: 'eu-1', namespace: 'shop', server: 'https://api.prod.acme.example:6443' }),
      'the cluster\'s server api.prod.acme.example matches "*prod*" (devlane.productionContexts)',
    );
    assert.equal(
      productionReason({ context: 'eu-1', server: 'https://k8s.acme.example' }, { contexts: ['k8s.acme.*'] }),
      'the cluster\'s server k8s.acme.example matches "k8s.acme.*" (devlane.productionContexts)',
    );
    assert.equal(
      productionReason({ context: 'eu-1', server: 'https://127.0.0.1:6443/prod' }),
      undefined,
      'the host, not the path',
    );
    assert.equal(productionReason({ context: 'eu-1', server: 'not a url' }), undefined);
    assert.equal(serverHost('https://[::1]:6443'), '::1');
  });

  it('says the context first, when the context matches too', () => {
    assert.equal(
      productionReason({ context: 'shop-live', namespace: 'prod', server: 'https://prod.example' }),
      'context "shop-live" matches "*live*" (devlane.productionContexts)',
    );
  });
});

describe('the plan, as shown before a production start', () => {
  it('shows what .vscode/devlane.json makes the copy run: devImage, run and the command after each sync', () => {
    const plan: Plan = {
      context: 'prod',
      namespace: 'shop',
      session: 's1',
      service: 'ratings',
      route: { from: 0, to: 0 },
      strategy: 'router',
      strategyReason: 'no mesh',
      steps: [],
      access: [],
      warnings: [],
      fromWorkspace: {
        devImage: 'ratings:debug',
        run: ['node', 'server.js'],
        action: 'command',
        command: 'npm run build',
        remotePath: '/app',
      },
    };
    const text = describePlan(plan);
    assert.match(
      text,
      /From \.vscode\/devlane\.json, for the copy:\n {2}devImage: ratings:debug\n {2}run: \["node","server\.js"\]\n {2}after each sync into \/app: command: sh -c "npm run build"/,
    );
    assert.doesNotMatch(describePlan({ ...plan, fromWorkspace: undefined }), /devlane\.json/);
    assert.match(
      describePlan({ ...plan, fromWorkspace: { action: 'restart', remotePath: '/app' } }),
      /devImage: \(none: the original image\)\n {2}run: \(none: the container's own command\)\n {2}after each sync into \/app: restart/,
    );
  });
});

describe('leases', () => {
  it('writes MicroTime and expires after the duration plus grace', () => {
    assert.match(microTime(new Date('2026-01-01T00:00:00.123Z')), /^2026-01-01T00:00:00\.123000Z$/);
    const lease = {
      metadata: { name: 'l' },
      spec: { renewTime: '2026-01-01T00:00:00.000000Z', leaseDurationSeconds: 30 },
    };
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
