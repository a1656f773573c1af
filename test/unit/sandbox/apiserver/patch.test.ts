import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyJsonPatch, JsonPatchError } from '../../../../sandbox/apiserver/patch/jsonpatch';
import { mergePatch } from '../../../../sandbox/apiserver/patch/merge';
import { patchMetaFor } from '../../../../sandbox/apiserver/patch/patchmeta';
import { strategicMergePatch } from '../../../../sandbox/apiserver/patch/strategic';

const pod = () => ({
  metadata: { name: 'p', labels: { a: '1', b: '2' }, finalizers: ['x', 'y'] },
  spec: {
    containers: [
      {
        name: 'app',
        image: 'app:1',
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
        ports: [{ containerPort: 80, protocol: 'TCP' }],
      },
      { name: 'side', image: 'side:1' },
    ],
    volumes: [{ name: 'v', emptyDir: {} }],
    tolerations: [{ key: 't' }],
  },
});
const smp = (patch: unknown, o: Record<string, unknown> = pod()) =>
  strategicMergePatch(o, patch, patchMetaFor('', 'Pod')!) as ReturnType<typeof pod>;

describe('JSON merge patch (RFC 7386)', () => {
  it('merges objects, deletes on null and replaces lists', () => {
    assert.deepEqual(mergePatch({ a: 1, b: { c: 2, d: 3 }, l: [1, 2] }, { b: { c: null, e: 4 }, l: [3] }), {
      a: 1,
      b: { d: 3, e: 4 },
      l: [3],
    });
  });
});

describe('JSON patch (RFC 6902)', () => {
  it('applies add, remove, replace, move, copy and test, with ~1 escapes and "-"', () => {
    const out = applyJsonPatch({ metadata: { labels: { 'app.kubernetes.io/name': 'x' } }, l: [1, 2] }, [
      { op: 'test', path: '/metadata/labels/app.kubernetes.io~1name', value: 'x' },
      { op: 'add', path: '/l/-', value: 3 },
      { op: 'add', path: '/l/0', value: 0 },
      { op: 'remove', path: '/l/1' },
      { op: 'replace', path: '/metadata/labels/app.kubernetes.io~1name', value: 'y' },
      { op: 'copy', from: '/l', path: '/m' },
      { op: 'move', from: '/m', path: '/n' },
    ]);
    assert.deepEqual(out, { metadata: { labels: { 'app.kubernetes.io/name': 'y' } }, l: [0, 2, 3], n: [0, 2, 3] });
  });

  it('fails as a whole when a test fails or a path is missing, leaving the input untouched', () => {
    const doc = { a: 1 };
    assert.throws(
      () =>
        applyJsonPatch(doc, [
          { op: 'replace', path: '/a', value: 2 },
          { op: 'test', path: '/a', value: 1 },
        ]),
      JsonPatchError,
    );
    assert.throws(() => applyJsonPatch(doc, [{ op: 'remove', path: '/missing' }]), JsonPatchError);
    assert.throws(() => applyJsonPatch(doc, [{ op: 'replace', path: '/b', value: 1 }]), JsonPatchError);
    assert.deepEqual(doc, { a: 1 });
  });
});

describe('strategic merge patch', () => {
  it('merges containers by name and env by name, keeping what the patch does not name', () => {
    const out = smp({
      spec: {
        containers: [
          {
            name: 'app',
            image: 'app:2',
            env: [
              { name: 'B', value: 'x' },
              { name: 'C', value: '3' },
            ],
          },
        ],
      },
    });
    assert.equal(out.spec.containers.length, 2);
    assert.equal(out.spec.containers[0].image, 'app:2');
    assert.deepEqual(out.spec.containers[0].env, [
      { name: 'A', value: '1' },
      { name: 'B', value: 'x' },
      { name: 'C', value: '3' },
    ]);
    assert.deepEqual(out.spec.containers[1], { name: 'side', image: 'side:1' });
  });

  it('replaces lists without a merge strategy (tolerations) and deletes with null', () => {
    const out = smp({ metadata: { labels: { a: null } }, spec: { tolerations: [{ key: 'u' }] } });
    assert.deepEqual(out.metadata.labels, { b: '2' });
    assert.deepEqual(out.spec.tolerations, [{ key: 'u' }]);
  });

  it('honours $patch: delete and replace in lists and maps', () => {
    assert.deepEqual(
      smp({ spec: { containers: [{ name: 'side', $patch: 'delete' }] } }).spec.containers.map((c) => c.name),
      ['app'],
    );
    assert.deepEqual(
      smp({ spec: { containers: [{ name: 'only', image: 'o' }, { $patch: 'replace' }] } }).spec.containers,
      [{ name: 'only', image: 'o' }],
    );
    assert.deepEqual(smp({ metadata: { labels: { z: '9', $patch: 'replace' } } }).metadata.labels, { z: '9' });
  });

  it('sets element order, deletes from primitive lists and merges primitive lists as sets', () => {
    const ordered = smp({
      spec: {
        '$setElementOrder/containers': [{ name: 'side' }, { name: 'app' }],
        containers: [{ name: 'app', image: 'app:3' }],
      },
    });
    assert.deepEqual(
      ordered.spec.containers.map((c) => c.name),
      ['side', 'app'],
    );
    assert.deepEqual(smp({ metadata: { '$deleteFromPrimitiveList/finalizers': ['x'] } }).metadata.finalizers, ['y']);
    assert.deepEqual(smp({ metadata: { finalizers: ['y', 'z'] } }).metadata.finalizers, ['x', 'y', 'z']);
  });

  it('keeps only $retainKeys fields (a union such as a Deployment strategy)', () => {
    const d = { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } };
    const out = strategicMergePatch(
      d,
      { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
      patchMetaFor('apps', 'Deployment')!,
    );
    assert.deepEqual(out.spec, { strategy: { type: 'Recreate' } });
  });

  it('merges ports by containerPort and ownerReferences by uid', () => {
    const out = smp({
      metadata: { ownerReferences: [{ uid: 'u1', name: 'n' }] },
      spec: { containers: [{ name: 'app', ports: [{ containerPort: 81 }] }] },
    });
    // An element the patch adds goes first, as apimachinery orders it (the differential check saw it on kube-apiserver).
    assert.deepEqual(out.spec.containers[0].ports, [{ containerPort: 81 }, { containerPort: 80, protocol: 'TCP' }]);
    assert.deepEqual((out.metadata as { ownerReferences?: unknown }).ownerReferences, [{ uid: 'u1', name: 'n' }]);
  });
});
