// The sandbox as a program: a second instance runs beside the first, and stopping one leaves no
// process, mount or network namespace behind.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { isSandbox } from '../../helpers/kubectl';
import { alive, descendants, netNamespaceOf, netNamespaces, type ProcInfo } from '../../helpers/procs';
import { REPO, startSandbox } from '../../helpers/sandbox';

describe('sandbox lifecycle', { skip: !isSandbox() && 'tests the sandbox program itself' }, () => {
  it('runs a second instance beside the first, and stops without leaving anything behind', async () => {
    const sb = await startSandbox(['--empty']);
    let children: ProcInfo[];
    let podNamespaces: Set<string>;
    try {
      const kubectl = (args: string[], input?: string) =>
        spawnSync('kubectl', ['--kubeconfig', sb.kubeconfig, '--context', 'sandbox-admin', ...args], {
          encoding: 'utf8',
          input,
        });
      assert.equal(kubectl(['create', 'namespace', 'second']).status, 0);
      const pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'sleeper', namespace: 'second' },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'main', image: 'busybox:1.36', command: ['sleep', '3600'] }],
        },
      };
      assert.equal(kubectl(['apply', '-f', '-'], JSON.stringify(pod)).status, 0);
      const deadline = Date.now() + 60_000;
      while (
        !kubectl(['get', 'pod', 'sleeper', '-n', 'second', '-o', 'jsonpath={.status.phase}']).stdout.includes('Running')
      ) {
        assert.ok(Date.now() < deadline, 'the pod of the second instance runs');
        await new Promise((r) => setTimeout(r, 250));
      }
      children = descendants(sb.child.pid!);
      assert.ok(children.length > 0, 'pods are processes of the sandbox');
      // Only the namespaces of this sandbox's pods: other programs on the machine may make their own.
      const own = netNamespaceOf(sb.child.pid!);
      podNamespaces = new Set(children.map((p) => netNamespaceOf(p.pid)).filter((n) => n && n !== own));
      assert.ok(podNamespaces.size > 0, 'the pod has its own network namespace');
    } finally {
      const code = await sb.stop();
      assert.equal(code, 0, `the sandbox exits cleanly on SIGTERM:\n${sb.output()}`);
    }
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(
      children.filter(alive).map((p) => `${p.pid}: ${p.command}`),
      [],
      'no pod process is left',
    );
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
    assert.ok(!mounts.includes(sb.dir), 'no mount of the state directory is left');
    const leaked = [...netNamespaces()].filter((n) => podNamespaces.has(n));
    assert.deepEqual(leaked, [], 'no network namespace of its pods is left');
  });

  it('refuses to start on a state directory another instance holds, and says what to do', async () => {
    const sb = await startSandbox(['--empty']);
    try {
      const r = spawnSync(
        process.execPath,
        [`${REPO}/out/sandbox/main.js`, '--kubeconfig', sb.kubeconfig, '--state-dir', `${sb.dir}/state`, '--empty'],
        { encoding: 'utf8', timeout: 30_000 },
      );
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /another sandbox \(pid \d+\) is using the state directory .* Nothing was started/);
    } finally {
      await sb.stop();
    }
  });
});
