// Finding the developer copy's pod and reading what its annotation says about the debugger.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ObjectApi } from '../../../src/cluster/api';
import { debugAnnotation, parseDebugAnnotation } from '../../../src/core/debug/runtime';
import { DebugError } from '../../../src/debug/errors';
import { debugTargetOf, devPodSelector, findDevPod } from '../../../src/debug/target';

/* eslint-disable @typescript-eslint/no-explicit-any */
const copy = { namespace: 'shop', session: 'alice-catalog', service: 'catalog' };
const pod = (
  name: string,
  o: { phase?: string; ready?: boolean; created?: string; deleting?: boolean; annotation?: string } = {},
): any => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    namespace: 'shop',
    creationTimestamp: o.created ?? '2026-01-01T00:00:00Z',
    ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:01:00Z' } : {}),
    annotations: o.annotation === undefined ? {} : { [debugAnnotation]: o.annotation },
  },
  spec: { containers: [{ name: 'catalog', image: 'python:3.11-slim', workingDir: '/app' }] },
  status: {
    phase: o.phase ?? 'Running',
    conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
  },
});

function api(pods: any[]): { api: ObjectApi; selectors: string[] } {
  const selectors: string[] = [];
  return {
    selectors,
    api: {
      list: async (_t: unknown, ns: string, opts: { labelSelector?: string }) => {
        selectors.push(`${ns} ${opts.labelSelector}`);
        return pods;
      },
    } as unknown as ObjectApi,
  };
}

describe('the debug target', () => {
  it('selects the copy by its session labels and prefers a Ready, newer, live pod', async () => {
    const a = api([
      pod('old', { created: '2026-01-01T00:00:00Z' }),
      pod('new', { created: '2026-01-01T00:05:00Z' }),
      pod('unready', { ready: false, created: '2026-01-01T00:09:00Z' }),
      pod('going', { deleting: true, created: '2026-01-01T00:10:00Z' }),
      pod('pending', { phase: 'Pending' }),
    ]);
    const p = await findDevPod(a.api, copy, new AbortController().signal);
    assert.equal(p.metadata.name, 'new');
    assert.deepEqual(a.selectors, [`shop ${devPodSelector(copy)}`]);
    assert.equal(
      devPodSelector(copy),
      'devlane.dev/session=alice-catalog,devlane.dev/role=dev,devlane.dev/service=catalog',
    );
  });

  it('says to take the service over when there is no running copy', async () => {
    const err = await findDevPod(api([pod('p', { phase: 'Pending' })]).api, copy, new AbortController().signal).catch(
      (e: unknown) => e,
    );
    assert.ok(err instanceof DebugError);
    assert.equal(err.code, 'no-copy');
    assert.match(err.full, /No running developer copy of catalog in session alice-catalog.*Take over catalog/);
  });

  it('reads runtime, port and container from the annotation, and the working directory from the container', () => {
    const t = debugTargetOf(
      pod('p', { annotation: JSON.stringify({ runtime: 'python', port: 5678, container: 'catalog' }) }),
      copy,
    );
    assert.deepEqual(t, {
      ...copy,
      pod: 'p',
      spec: { runtime: 'python', port: 5678, container: 'catalog' },
      workingDir: '/app',
      image: 'python:3.11-slim',
    });
  });

  it('explains a copy started without a debug port, and what to do', () => {
    for (const annotation of [undefined, '{"runtime":"ruby","port":1,"container":"x"}', 'not json']) {
      const err = (() => {
        try {
          debugTargetOf(pod('p', { annotation }), copy);
        } catch (e) {
          return e;
        }
      })();
      assert.ok(err instanceof DebugError, String(annotation));
      assert.equal(err.code, 'no-debug-port');
      assert.match(err.full, annotation ? /does not understand/ : /not started with a debug port/);
      assert.match(err.hint, /take it over again.*Nothing was changed/);
    }
  });

  it('parses only well-formed annotations', () => {
    assert.deepEqual(parseDebugAnnotation('{"runtime":"node","port":9229,"container":"ratings"}'), {
      runtime: 'node',
      port: 9229,
      container: 'ratings',
    });
    assert.equal(parseDebugAnnotation('{"runtime":"node","port":0,"container":"ratings"}'), undefined);
    assert.equal(parseDebugAnnotation('{"runtime":"node","port":9229}'), undefined);
    assert.equal(parseDebugAnnotation(undefined), undefined);
  });
});
