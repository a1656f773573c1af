import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ObjectApi } from '../../../src/cluster/api';
import { nullLogger } from '../../../src/core/logger';
import { SessionError } from '../../../src/core/session/errors';
import { waitDeploymentReady } from '../../../src/session/wait';

/* eslint-disable @typescript-eslint/no-explicit-any */
/** The copy's Deployment and pods; Events only through watches narrowed to one pod (every watch asked for is kept in `watches`). */
function api(pod: any, events: any[] = [], watches: { fieldSelector?: string; disposed: boolean }[] = []): ObjectApi {
  const dep = {
    metadata: { name: 'ratings-dl-a', generation: 1 },
    spec: { replicas: 1, selector: { matchLabels: { a: 'b' } } },
    status: { observedGeneration: 1, readyReplicas: 0 },
  };
  return {
    get: async () => dep,
    list: async (type: { plural: string }) => {
      if (type.plural === 'events') throw new Error('Events are watched per pod, never listed namespace-wide');
      return type.plural === 'pods' ? [pod] : [];
    },
    watchSelected: (type: { plural: string }, _ns: string, opts: { fieldSelector?: string }) => {
      assert.equal(type.plural, 'events');
      const w = { fieldSelector: opts.fieldSelector, disposed: false };
      watches.push(w);
      const name = /involvedObject\.name=([^,]+)/.exec(opts.fieldSelector ?? '')?.[1];
      return {
        values: () => events.filter((e) => e.involvedObject.name === name && e.type === 'Warning')[Symbol.iterator](),
        dispose: () => (w.disposed = true),
      };
    },
  } as unknown as ObjectApi;
}

describe('waiting for the copy', () => {
  it('stops at once, with what to do, when the image has no sh for the supervisor', async () => {
    const pod = {
      metadata: { name: 'ratings-dl-a-1' },
      status: {
        containerStatuses: [
          {
            name: 'ratings',
            restartCount: 1,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: {
              terminated: {
                reason: 'StartError',
                message: 'failed to create containerd task: exec: "sh": executable file not found in $PATH: unknown',
              },
            },
          },
        ],
      },
    };
    const reports: string[] = [];
    await assert.rejects(
      waitDeploymentReady(
        { api: api(pod), logger: nullLogger, signal: AbortSignal.timeout(5000), report: (m) => reports.push(m) },
        'shop',
        'ratings-dl-a',
        { pollMs: 10 },
      ),
      (e: unknown) => {
        assert.ok(e instanceof SessionError, String(e));
        assert.match(e.message, /cannot become Ready: .*executable file not found/);
        assert.match(e.hint, /no `sh`.*"devImage"/);
        return true;
      },
    );
  });

  it("names a Go toolchain image when a build copy's image has no sh", async () => {
    const pod = {
      metadata: {
        name: 'stock-dl-a-1',
        annotations: {
          'devlane.dev/sync': JSON.stringify({ container: 'stock', remotePath: '/src', action: 'build' }),
        },
      },
      status: {
        containerStatuses: [
          {
            name: 'stock',
            restartCount: 0,
            state: { terminated: { reason: 'StartError', message: 'exec: "sh": executable file not found in $PATH' } },
          },
        ],
      },
    };
    await assert.rejects(
      waitDeploymentReady(
        { api: api(pod), logger: nullLogger, signal: AbortSignal.timeout(5000), report: () => {} },
        'shop',
        'stock-dl-a',
        { pollMs: 10 },
      ),
      (e: unknown) => e instanceof SessionError && /no Go toolchain.*"devImage".*"golang:1\.26"/.test(e.hint),
    );
  });

  it('keeps waiting through an ordinary restart', async () => {
    const pod = {
      metadata: { name: 'p' },
      status: {
        containerStatuses: [
          {
            name: 'ratings',
            restartCount: 1,
            state: { running: {} },
            lastState: { terminated: { reason: 'Error', message: 'exit 1' } },
          },
        ],
      },
    };
    await assert.rejects(
      waitDeploymentReady(
        { api: api(pod), logger: nullLogger, signal: AbortSignal.timeout(5000), report: () => {} },
        'shop',
        'ratings-dl-a',
        { pollMs: 10, timeoutMs: 100 },
      ),
      /was not Ready after/,
    );
  });

  it('reports each warning of the copy’s pods once, from a watch narrowed to that pod, and stops the watch when done', async () => {
    const pod = {
      metadata: { name: 'ratings-dl-a-1' },
      status: {
        containerStatuses: [{ name: 'ratings', restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }],
      },
    };
    const events = [
      {
        metadata: { name: 'e1', uid: 'u1' },
        type: 'Warning',
        reason: 'FailedMount',
        message: 'configmap "x" not found',
        involvedObject: { kind: 'Pod', name: 'ratings-dl-a-1' },
      },
      {
        metadata: { name: 'e2', uid: 'u2' },
        type: 'Warning',
        reason: 'FailedMount',
        message: 'elsewhere',
        involvedObject: { kind: 'Pod', name: 'web-1' },
      },
      // What a normal start looks like until the program listens: logged, not shown.
      {
        metadata: { name: 'e3', uid: 'u3' },
        type: 'Warning',
        reason: 'Unhealthy',
        message: 'Readiness probe failed: connection refused',
        involvedObject: { kind: 'Pod', name: 'ratings-dl-a-1' },
      },
    ];
    const watches: { fieldSelector?: string; disposed: boolean }[] = [];
    const reports: string[] = [];
    const logged: string[] = [];
    const logger = { ...nullLogger, info: (m: string) => logged.push(m) };
    await assert.rejects(
      waitDeploymentReady(
        { api: api(pod, events, watches), logger, signal: AbortSignal.timeout(5000), report: (m) => reports.push(m) },
        'shop',
        'ratings-dl-a',
        { pollMs: 10, timeoutMs: 100 },
      ),
      /was not Ready after/,
    );
    assert.deepEqual(
      reports.filter((r) => r.includes('FailedMount')),
      ['ratings-dl-a-1: FailedMount: configmap "x" not found'],
    );
    assert.deepEqual(
      reports.filter((r) => r.includes('Unhealthy')),
      [],
      'a failed probe is not shown as progress',
    );
    assert.deepEqual(
      logged.filter((r) => r.includes('Unhealthy')),
      ['ratings-dl-a-1: Unhealthy: Readiness probe failed: connection refused'],
      'it is logged',
    );
    assert.deepEqual(watches, [
      { fieldSelector: 'involvedObject.kind=Pod,involvedObject.name=ratings-dl-a-1,type=Warning', disposed: true },
    ]);
  });
});
