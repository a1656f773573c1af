import assert from 'node:assert/strict';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { test } from 'node:test';
import { containerStatus, startHarness } from './harness';

/** Every process descending from this one, with its command line. */
function descendants(): string[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited meanwhile
    }
  }
  const mine = new Set([process.pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parent) if (mine.has(ppid) && !mine.has(pid)) (mine.add(pid), (grew = true));
  }
  mine.delete(process.pid);
  return [...mine].map((p) => {
    try {
      return `${p}: ${readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ')}`;
    } catch {
      return `${p}: ?`;
    }
  });
}

const netNamespaces = () =>
  new Set(
    readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map((d) => {
        try {
          return readlinkSync(`/proc/${d}/ns/net`);
        } catch {
          return '';
        }
      })
      .filter(Boolean),
  );

test('stop() ends every pod process and leaves no network namespace behind', async () => {
  const before = netNamespaces();
  const h = await startHarness();
  h.createPod({ metadata: { name: 'stubborn' }, spec: { containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'trap "" TERM; sleep 3600 & wait'] }] } });
  h.createPod({ metadata: { name: 'polite' }, spec: { containers: [{ name: 'c', image: 'node:20', command: ['node', '-e', 'setInterval(()=>{},1000)'] }] } });
  await h.waitPod('stubborn', (p) => containerStatus(p, 'c')?.state?.running !== undefined, 'running');
  await h.waitPod('polite', (p) => containerStatus(p, 'c')?.state?.running !== undefined, 'running');
  assert.ok(descendants().some((d) => d.includes('bwrap')), 'pods run as child processes');
  assert.ok(netNamespaces().size > before.size, 'pods have their own network namespaces');
  await h.stop();
  assert.deepEqual(descendants(), []);
  const leftover = [...netNamespaces()].filter((n) => !before.has(n));
  assert.deepEqual(leftover, []);
});
