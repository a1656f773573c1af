import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  computeHash,
  equalIgnoreHash,
  fenceposts,
  maxUnavailable,
  newRSNewReplicas,
} from '../../../../sandbox/controllers/deployment-util';
import type { KObject } from '../../../../sandbox/core/types';

const d = (replicas: number, rollingUpdate?: Record<string, unknown>): KObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'x' },
  spec: { replicas, ...(rollingUpdate ? { strategy: { type: 'RollingUpdate', rollingUpdate } } : {}) },
});

describe('deployment fenceposts', () => {
  it('rounds maxSurge up and maxUnavailable down, with 25% defaults', () => {
    assert.deepEqual(fenceposts(d(10)), { surge: 3, unavailable: 2 });
    assert.deepEqual(fenceposts(d(3, { maxSurge: '34%', maxUnavailable: '34%' })), { surge: 2, unavailable: 1 });
    assert.deepEqual(fenceposts(d(5, { maxSurge: 2, maxUnavailable: 0 })), { surge: 2, unavailable: 0 });
  });
  it('allows one unavailable when both resolve to zero, and never more than replicas', () => {
    assert.deepEqual(fenceposts(d(1, { maxSurge: '10%', maxUnavailable: '10%' })), { surge: 1, unavailable: 0 });
    assert.deepEqual(fenceposts(d(3, { maxSurge: 0, maxUnavailable: '10%' })), { surge: 0, unavailable: 1 });
    assert.equal(maxUnavailable(d(2, { maxSurge: 0, maxUnavailable: 5 })), 2);
  });
  it('sizes the new ReplicaSet within replicas + maxSurge', () => {
    const rs = (n: number): KObject => ({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'r' },
      spec: { replicas: n },
    });
    assert.equal(newRSNewReplicas(d(4, { maxSurge: 1, maxUnavailable: 0 }), [rs(4)], undefined), 1);
    assert.equal(newRSNewReplicas(d(4, { maxSurge: 1, maxUnavailable: 0 }), [rs(4), rs(1)], rs(1)), 1);
    assert.equal(newRSNewReplicas(d(4, { maxSurge: 1, maxUnavailable: 0 }), [rs(2), rs(2)], rs(2)), 3);
  });
});

describe('pod-template-hash', () => {
  it('is stable across key order, differs with content and collision count, uses the safe alphabet', () => {
    const a = computeHash({ metadata: { labels: { a: '1', b: '2' } }, spec: { x: 1 } });
    assert.equal(a, computeHash({ spec: { x: 1 }, metadata: { labels: { b: '2', a: '1' } } }));
    assert.notEqual(a, computeHash({ metadata: { labels: { a: '1', b: '2' } }, spec: { x: 2 } }));
    assert.notEqual(a, computeHash({ metadata: { labels: { a: '1', b: '2' } }, spec: { x: 1 } }, 1));
    assert.match(a, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
  });
  it('templates equal apart from the hash label compare equal', () => {
    assert.ok(
      equalIgnoreHash(
        { metadata: { labels: { app: 'a', 'pod-template-hash': 'x' } } },
        { metadata: { labels: { app: 'a' } } },
      ),
    );
    assert.ok(!equalIgnoreHash({ metadata: { labels: { app: 'a' } } }, { metadata: { labels: { app: 'b' } } }));
  });
});
