import assert from 'node:assert/strict';
import { test } from 'node:test';
import { descendants, netNamespaceOf, netNamespaces } from '../../../helpers/procs';
import { containerStatus, startHarness } from './harness';

/** Every process descending from this test process, as `pid: command line`. */
const descendantsOfTest = () => descendants(process.pid).map((p) => `${p.pid}: ${p.command}`);

test('stop() ends every pod process and leaves no network namespace behind', async () => {
  const h = await startHarness();
  h.createPod({
    metadata: { name: 'stubborn' },
    spec: { containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'trap "" TERM; sleep 3600 & wait'] }] },
  });
  h.createPod({
    metadata: { name: 'polite' },
    spec: { containers: [{ name: 'c', image: 'node:20', command: ['node', '-e', 'setInterval(()=>{},1000)'] }] },
  });
  await h.waitPod('stubborn', (p) => containerStatus(p, 'c')?.state?.running !== undefined, 'running');
  await h.waitPod('polite', (p) => containerStatus(p, 'c')?.state?.running !== undefined, 'running');
  assert.ok(
    descendantsOfTest().some((d) => d.includes('bwrap')),
    'pods run as child processes',
  );
  // The namespaces the pods' processes are in (other programs on the machine may make their own).
  const own = netNamespaceOf(process.pid);
  const podNamespaces = new Set(
    descendants(process.pid)
      .map((p) => netNamespaceOf(p.pid))
      .filter((n) => n && n !== own),
  );
  assert.ok(podNamespaces.size >= 2, 'each pod has its own network namespace');
  await h.stop();
  assert.deepEqual(descendantsOfTest(), []);
  const leftover = [...netNamespaces()].filter((n) => podNamespaces.has(n));
  assert.deepEqual(leftover, [], 'no process holds a pod network namespace any more');
});
