// Which undo steps Devlane replays: the record's own namespace, the session's own objects and
// routes, and (checked on the live object) only what the session created.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ObjectApi } from '../../../src/cluster/api';
import { nullLogger } from '../../../src/core/logger';
import type { KubeObject } from '../../../src/core/resources';
import type { Undo } from '../../../src/core/session/plan';
import { createdBySession, undoProblem, type UndoScope } from '../../../src/core/session/undo-admission';
import { replayUndo } from '../../../src/session/executor';

const scope: UndoScope = {
  namespace: 'shop',
  session: 's1',
  routeKey: 'key-s1-0123456789abcdefghij',
  service: 'ratings',
  strategy: 'router',
  recordUid: 'record-uid',
};
const ref = (
  type: 'service' | 'deployment' | 'configMap' | 'virtualService' | 'httpRoute',
  name: string,
  namespace = 'shop',
) => ({ type, namespace, name });

/** What the planner writes for a router takeover of ratings in session s1. */
const planned: Undo[] = [
  { kind: 'delete', ref: ref('service', 'ratings-dl-s1'), summary: 'Delete Service ratings-dl-s1' },
  { kind: 'delete', ref: ref('deployment', 'ratings-dl-s1'), summary: 'Delete Deployment ratings-dl-s1' },
  { kind: 'release-router', namespace: 'shop', service: 'ratings', summary: 'Release the router' },
  {
    kind: 'edit',
    ref: ref('configMap', 'ratings-devlane-router'),
    edit: { kind: 'router.removeRoute', session: 's1' },
    summary: 'Remove the route',
  },
];

describe('undo step admission', () => {
  it('admits every step the planner writes', () => {
    for (const u of planned) assert.equal(undoProblem(u, scope), undefined, u.summary);
    assert.equal(
      undoProblem(
        {
          kind: 'edit',
          ref: ref('virtualService', 'ratings-devlane'),
          edit: { kind: 'istio.removeRoute', session: 's1' },
          summary: 'x',
        },
        { ...scope, strategy: 'istio' },
      ),
      undefined,
    );
    assert.equal(
      undoProblem(
        {
          kind: 'edit',
          ref: ref('httpRoute', 'shop'),
          edit: { kind: 'gateway.removeRoute', session: 's1', routeKey: scope.routeKey },
          summary: 'x',
        },
        { ...scope, strategy: 'gateway-api' },
      ),
      undefined,
    );
  });

  it('refuses a step in another namespace, whatever it is', () => {
    assert.deepEqual(
      undoProblem({ kind: 'delete', ref: ref('service', 'ratings-dl-s1', 'payments'), summary: 'x' }, scope)?.field,
      'ref.namespace',
    );
    assert.match(
      undoProblem(
        {
          kind: 'edit',
          ref: ref('configMap', 'ratings-devlane-router', 'payments'),
          edit: { kind: 'router.removeRoute', session: 's1' },
          summary: 'x',
        },
        scope,
      )!.problem,
      /"payments" is not the record's namespace "shop"/,
    );
    assert.equal(
      undoProblem({ kind: 'release-router', namespace: 'payments', service: 'ratings', summary: 'x' }, scope)?.field,
      'namespace',
    );
  });

  it("refuses edits that are not the removal of this session's own route", () => {
    const switchIt: Undo = {
      kind: 'edit',
      ref: ref('service', 'ratings'),
      edit: { kind: 'service.switchSelector', selector: { app: 'evil' } },
      summary: 'x',
    };
    assert.deepEqual(undoProblem(switchIt, scope), {
      field: 'edit.kind',
      problem: '"service.switchSelector" is not a removal of the session\'s own route',
    });
    assert.equal(
      undoProblem(
        { kind: 'edit', ref: ref('service', 'ratings'), edit: { kind: 'service.restoreSelector' }, summary: 'x' },
        scope,
      )?.field,
      'edit.kind',
    );
    assert.equal(
      undoProblem(
        {
          kind: 'edit',
          ref: ref('virtualService', 'ratings-devlane'),
          edit: { kind: 'istio.removeRoute', session: 'bob' },
          summary: 'x',
        },
        scope,
      )?.field,
      'edit.session',
    );
    assert.equal(
      undoProblem(
        {
          kind: 'edit',
          ref: ref('httpRoute', 'shop'),
          edit: { kind: 'gateway.removeRoute', session: 's1', routeKey: 'someone-elses-key-0123456789' },
          summary: 'x',
        },
        scope,
      )?.field,
      'edit.routeKey',
    );
    assert.equal(
      undoProblem(
        {
          kind: 'edit',
          ref: ref('configMap', 'catalog-devlane-router'),
          edit: { kind: 'router.removeRoute', session: 's1' },
          summary: 'x',
        },
        scope,
      )?.field,
      'ref.name',
    );
    assert.equal(
      undoProblem(
        {
          kind: 'edit',
          ref: ref('service', 'ratings'),
          edit: { kind: 'router.removeRoute', session: 's1' },
          summary: 'x',
        },
        scope,
      )?.field,
      'ref.type',
    );
  });

  it('refuses deleting anything but the copy of the service this takeover holds', () => {
    assert.equal(
      undoProblem({ kind: 'delete', ref: ref('service', 'ratings'), summary: 'x' }, scope)?.field,
      'ref.name',
    );
    assert.equal(
      undoProblem({ kind: 'delete', ref: ref('configMap', 'ratings-dl-s1'), summary: 'x' }, scope)?.field,
      'ref.type',
    );
    assert.equal(
      undoProblem({ kind: 'release-router', namespace: 'shop', service: 'payments', summary: 'x' }, scope)?.field,
      'service',
    );
    assert.equal(
      undoProblem(
        { kind: 'release-router', namespace: 'shop', service: 'ratings', summary: 'x' },
        { ...scope, strategy: 'istio' },
      )?.field,
      'kind',
    );
  });

  it('knows what the session created: owned by its record, or labelled with it', () => {
    const obj = (metadata: Partial<KubeObject['metadata']>): KubeObject => ({
      metadata: { name: 'ratings-dl-s1', ...metadata },
    });
    assert.ok(createdBySession(obj({ labels: { 'devlane.dev/session': 's1' } }), scope));
    assert.ok(
      createdBySession(
        obj({
          ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'devlane-session-s1', uid: 'record-uid' }],
        }),
        scope,
      ),
    );
    assert.ok(!createdBySession(obj({ labels: { 'devlane.dev/session': 's2' } }), scope));
    assert.ok(
      !createdBySession(
        obj({
          ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'devlane-session-s1', uid: 'other-uid' }],
        }),
        scope,
      ),
    );
    assert.ok(!createdBySession(obj({}), { session: 's1' }));
  });

  it('when replaying, refuses and reports a delete of an object the session did not create, and deletes its own', async () => {
    const objects = new Map<string, KubeObject>([
      ['service/ratings-dl-s1', { metadata: { name: 'ratings-dl-s1', namespace: 'shop', uid: 'a' } }],
      [
        'deployment/ratings-dl-s1',
        { metadata: { name: 'ratings-dl-s1', namespace: 'shop', uid: 'b', labels: { 'devlane.dev/session': 's1' } } },
      ],
    ]);
    const deleted: string[] = [];
    const api = {
      tryGet: async (type: { kind: string }, _ns: string, name: string) =>
        objects.get(`${type.kind.toLowerCase()}/${name}`),
      delete: async (type: { kind: string }, ns: string, name: string) =>
        void deleted.push(`${type.kind} ${ns}/${name}`),
    } as unknown as ObjectApi;
    const reports: string[] = [];
    const refused = await replayUndo(
      { api, logger: nullLogger, signal: AbortSignal.timeout(10_000), report: (m) => reports.push(m) },
      planned.slice(0, 2),
      scope,
    );
    assert.deepEqual(deleted, ['Deployment shop/ratings-dl-s1']);
    assert.deepEqual(refused, [
      'refused "Delete Service ratings-dl-s1": service shop/ratings-dl-s1 was not created by session s1 (neither owned by its record nor labelled with it); left as it is',
    ]);
  });

  it('when replaying, refuses a planted step before it reaches the cluster', async () => {
    const api = new Proxy(
      {},
      { get: (_t, p) => () => assert.fail(`the cluster was called (${String(p)})`) },
    ) as ObjectApi;
    const planted: Undo = {
      kind: 'edit',
      ref: ref('service', 'api', 'payments'),
      edit: { kind: 'service.switchSelector', selector: { app: 'evil' } },
      summary: 'innocent',
    };
    const refused = await replayUndo(
      { api, logger: nullLogger, signal: AbortSignal.timeout(10_000), report: () => {} },
      [planted],
      scope,
    );
    assert.equal(refused.length, 1);
    assert.match(refused[0], /^refused "innocent": ref.namespace: "payments" is not the record's namespace "shop"/);
  });
});
