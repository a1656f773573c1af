import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeYaml } from '../../../src/core/describe';
import { matchesLabelSelector, matchesServiceSelector } from '../../../src/core/selectors';
import {
  podDescription,
  podPorts,
  serviceDescription,
  summarizeContainer,
  summarizePod,
  summarizeWorkload,
} from '../../../src/core/status';
import { deployment, pod, service } from '../../fakes/objects';

describe('pod status', () => {
  it('reads ready x/y, restarts and phase like kubectl get pods', () => {
    const p = pod('web-1', { containers: ['app', 'sidecar'], statuses: [{}, { ready: false, restartCount: 3 }] });
    const s = summarizePod(p);
    assert.deepEqual(
      { ready: s.ready, total: s.total, restarts: s.restarts, status: s.status, health: s.health },
      {
        ready: 1,
        total: 2,
        restarts: 3,
        status: 'Running',
        health: 'progressing',
      },
    );
    assert.equal(podDescription(s), '1/2 · Running · 3 restarts');
  });

  it('shows a waiting reason such as CrashLoopBackOff, as failed', () => {
    const p = pod('web-1', {
      statuses: [{ ready: false, restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff' } } }],
    });
    const s = summarizePod(p);
    assert.equal(s.status, 'CrashLoopBackOff');
    assert.equal(s.health, 'failed');
  });

  it('says Terminating for a pod being deleted', () => {
    assert.equal(summarizePod(pod('web-1', { deleting: true })).status, 'Terminating');
  });

  it('treats a succeeded pod as done', () => {
    const p = pod('job-1', {
      phase: 'Succeeded',
      statuses: [{ ready: false, state: { terminated: { reason: 'Completed', exitCode: 0 } } }],
    });
    assert.equal(summarizePod(p).health, 'done');
    assert.equal(summarizePod(p).status, 'Completed');
  });

  it('describes containers', () => {
    assert.equal(
      summarizeContainer('app', {
        name: 'app',
        ready: false,
        restartCount: 1,
        state: { terminated: { reason: 'Error', exitCode: 2 } },
      }).state,
      'terminated: Error (exit 2)',
    );
    assert.equal(summarizeContainer('app', undefined).state, 'not started');
  });

  it('lists declared TCP ports once', () => {
    assert.deepEqual(podPorts(pod('web-1', { containers: ['a', 'b'] })), [{ port: 8080, label: '8080 · a' }]);
  });
});

describe('workload and service rows', () => {
  it('counts ready replicas', () => {
    assert.deepEqual(summarizeWorkload('Deployment', deployment('web', { app: 'web' }, 3, 2)), {
      ready: 2,
      desired: 3,
      health: 'progressing',
    });
  });

  it('describes service ports', () => {
    assert.equal(
      serviceDescription(service('web', { app: 'web' }, [{ port: 80, targetPort: 8080 }, { port: 443 }])),
      '80→8080, 443',
    );
  });
});

describe('selectors', () => {
  it('matches Service selectors; an empty selector selects nothing', () => {
    assert.ok(matchesServiceSelector({ app: 'web' }, { app: 'web', tier: 'x' }));
    assert.ok(!matchesServiceSelector({ app: 'web' }, { app: 'api' }));
    assert.ok(!matchesServiceSelector({}, { app: 'web' }));
    assert.ok(!matchesServiceSelector(undefined, { app: 'web' }));
  });

  it('matches label selector expressions', () => {
    const sel = {
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'track', operator: 'In' as const, values: ['stable', 'canary'] },
        { key: 'devlane.dev/session', operator: 'DoesNotExist' as const },
      ],
    };
    assert.ok(matchesLabelSelector(sel, { app: 'web', track: 'stable' }));
    assert.ok(!matchesLabelSelector(sel, { app: 'web', track: 'dev' }));
    assert.ok(!matchesLabelSelector(sel, { app: 'web', track: 'stable', 'devlane.dev/session': 's1' }));
    assert.ok(!matchesLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Exists' }] }, {}));
  });
});

describe('describeYaml', () => {
  it('drops managedFields and the last-applied annotation, keeps the rest', () => {
    const text = describeYaml({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'web',
        managedFields: [{ manager: 'kubectl' }],
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', team: 'shop' },
      },
    });
    assert.doesNotMatch(text, /managedFields|last-applied/);
    assert.match(text, /team: shop/);
    assert.match(text, /kind: Service/);
  });
});
