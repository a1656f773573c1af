import assert from 'node:assert/strict';
import { test } from 'node:test';
import { descendants, netNamespaces } from '../../../helpers/procs';
import { containerStatus, startHarness } from './harness';

/** Every process descending from this test process, as `pid: command line`. */
const descendantsOfTest = () => descendants(process.pid).map((p) => `${p.pid}: ${p.command}`);

test('stop() ends every pod process and leaves no network namespace behind', async () => {
  const before = netNamespaces();
  const h = await startHarness();
  h.createPod({ metadata: { name: 'stubborn' }, spec: { containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'trap "" TERM; sleep 3600 & wait'] }] } });
  h.createPod({ metadata: { name: 'polite' }, spec: { containers: [{ name: 'c', image: 'node:20', command: ['node', '-e', 'setInterval(()=>{},1000)'] }] } });
  await h.waitPod('stubborn', (p) => containerStatus(p, 'c')?.state?.running !== undefined, 'running');
  await h.waitPod('polite', (p) => containerStatus(p, 'c')?.state?.running !== undefined, 'running');
  assert.ok(descendantsOfTest().some((d) => d.includes('bwrap')), 'pods run as child processes');
  assert.ok(netNamespaces().size > before.size, 'pods have their own network namespaces');
  await h.stop();
  assert.deepEqual(descendantsOfTest(), []);
  const leftover = [...netNamespaces()].filter((n) => !before.has(n));
  assert.deepEqual(leftover, []);
});
