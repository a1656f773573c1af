import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { containerStatus, startHarness, type Harness } from './harness';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h.stop();
});

test('a crashing container restarts with restartCount, lastState and CrashLoopBackOff', async () => {
  h.createPod({
    metadata: { name: 'crash' },
    spec: { containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo run; exit 3'] }] },
  });
  const p = await h.waitPod(
    'crash',
    (p) => containerStatus(p, 'c')?.state?.waiting?.reason === 'CrashLoopBackOff',
    'CrashLoopBackOff',
  );
  const cs = containerStatus(p, 'c')!;
  assert.ok(cs.restartCount >= 1);
  assert.match(cs.state.waiting.message, /^back-off \d+s restarting failed container=c pod=crash_default\(/);
  assert.equal(cs.lastState.terminated.exitCode, 3);
  assert.equal(cs.lastState.terminated.reason, 'Error');
  assert.equal(p.status.phase, 'Running');
  assert.ok(
    h
      .events('crash')
      .some(
        (e) => e.reason === 'BackOff' && /Back-off restarting failed container c in pod crash_default/.test(e.message),
      ),
  );
});

test('restartPolicy Never: a failed container leaves the pod Failed; OnFailure: success completes it', async () => {
  h.createPod({
    metadata: { name: 'once' },
    spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'exit 1'] }] },
  });
  h.createPod({
    metadata: { name: 'job' },
    spec: {
      restartPolicy: 'OnFailure',
      initContainers: [{ name: 'init', image: 'busybox', command: ['true'] }],
      containers: [{ name: 'c', image: 'busybox', command: ['true'] }],
    },
  });
  const once = await h.waitPod('once', (p) => p.status?.phase === 'Failed', 'Failed');
  assert.equal(containerStatus(once, 'c')!.state.terminated.exitCode, 1);
  const job = await h.waitPod('job', (p) => p.status?.phase === 'Succeeded', 'Succeeded');
  assert.equal(containerStatus(job, 'c')!.state.terminated.reason, 'Completed');
  assert.equal(job.status.initContainerStatuses[0].state.terminated.reason, 'Completed');
});

test('a failing liveness probe restarts the container', async () => {
  h.createPod({
    metadata: { name: 'live' },
    spec: {
      // sh as PID 1 ignores SIGTERM (as in a real container): keep the kill short.
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'c',
          image: 'busybox',
          command: ['sh', '-c', 'touch /tmp/healthy; sleep 1; rm /tmp/healthy; sleep 3600'],
          livenessProbe: { exec: { command: ['cat', '/tmp/healthy'] }, periodSeconds: 1, failureThreshold: 1 },
        },
      ],
    },
  });
  const p = await h.waitPod('live', (p) => (containerStatus(p, 'c')?.restartCount ?? 0) >= 1, 'restarted');
  assert.ok(containerStatus(p, 'c')!.lastState.terminated);
  const evs = h.events('live');
  assert.ok(
    evs.some(
      (e) =>
        e.reason === 'Unhealthy' &&
        /^Liveness probe failed: cat: \/tmp\/healthy: No such file or directory/.test(e.message),
    ),
    JSON.stringify(evs.map((e) => e.message)),
  );
  assert.ok(
    evs.some((e) => e.reason === 'Killing' && e.message === 'Container c failed liveness probe, will be restarted'),
  );
});

test('graceful termination: SIGTERM reaches the process, then the pod is removed', async () => {
  h.createPod({
    metadata: { name: 'term' },
    spec: {
      terminationGracePeriodSeconds: 20,
      containers: [
        {
          name: 'c',
          image: 'node:20',
          command: [
            'node',
            '-e',
            "process.on('SIGTERM',()=>{console.log('got SIGTERM');process.exit(0)});console.log('up');setInterval(()=>{},1000)",
          ],
        },
      ],
    },
  });
  await h.waitPod('term', (p) => p.status?.phase === 'Running', 'Running');
  await new Promise((r) => setTimeout(r, 300));
  const deleted = h.store.delete('pods', 'default', 'term');
  assert.ok(deleted.metadata.deletionTimestamp, 'a running pod is deleted gracefully');
  const events: string[] = [];
  const stop = h.store.watch('pods', 'default', { resourceVersion: deleted.metadata.resourceVersion }, (ev) =>
    events.push(
      `${ev.type}:${ev.object.status?.phase}:${ev.object.status?.containerStatuses?.[0]?.state?.terminated?.exitCode ?? ''}`,
    ),
  );
  // The deadline only catches a hang; that the process handled SIGTERM is what its exit says below.
  const deadline = Date.now() + 120_000;
  while (h.store.tryGet('pods', 'default', 'term')) {
    assert.ok(Date.now() < deadline, 'the pod was never removed');
    await new Promise((r) => setTimeout(r, 50));
  }
  stop();
  // The final status before removal says the container exited 0 after SIGTERM (a process killed at
  // the end of its grace period would show 137), and the pod succeeded.
  assert.ok(events.includes('DELETED:Succeeded:0'), events.join(' '));
  assert.ok(h.events('term').some((e) => e.reason === 'Killing' && e.message === 'Stopping container c'));
});
