import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ObjectApi } from '../../../src/cluster/api';
import { nullLogger } from '../../../src/core/logger';
import { SessionError } from '../../../src/core/session/errors';
import { waitDeploymentReady } from '../../../src/session/wait';

/* eslint-disable @typescript-eslint/no-explicit-any */
function api(pod: any): ObjectApi {
  const dep = { metadata: { name: 'ratings-dl-a', generation: 1 }, spec: { replicas: 1, selector: { matchLabels: { a: 'b' } } }, status: { observedGeneration: 1, readyReplicas: 0 } };
  return { get: async () => dep, list: async (type: { plural: string }) => (type.plural === 'pods' ? [pod] : []) } as unknown as ObjectApi;
}

describe('waiting for the copy', () => {
  it('stops at once, with what to do, when the image has no sh for the supervisor', async () => {
    const pod = {
      metadata: { name: 'ratings-dl-a-1' },
      status: { containerStatuses: [{ name: 'ratings', restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { reason: 'StartError', message: 'failed to create containerd task: exec: "sh": executable file not found in $PATH: unknown' } } }] },
    };
    const reports: string[] = [];
    await assert.rejects(waitDeploymentReady({ api: api(pod), logger: nullLogger, signal: AbortSignal.timeout(5000), report: (m) => reports.push(m) }, 'shop', 'ratings-dl-a', { pollMs: 10 }), (e: unknown) => {
      assert.ok(e instanceof SessionError, String(e));
      assert.match(e.message, /cannot become Ready: .*executable file not found/);
      assert.match(e.hint, /no `sh`.*"devImage"/);
      return true;
    });
  });

  it('keeps waiting through an ordinary restart', async () => {
    const pod = { metadata: { name: 'p' }, status: { containerStatuses: [{ name: 'ratings', restartCount: 1, state: { running: {} }, lastState: { terminated: { reason: 'Error', message: 'exit 1' } } }] } };
    await assert.rejects(waitDeploymentReady({ api: api(pod), logger: nullLogger, signal: AbortSignal.timeout(5000), report: () => {} }, 'shop', 'ratings-dl-a', { pollMs: 10, timeoutMs: 100 }), /was not Ready after/);
  });
});
