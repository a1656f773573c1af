// Changes made while the connection is down arrive once it is back (the exec stream cut by the
// sandbox's idle-stream timeout; the API server down), and a restart-on-sync Node service answers
// with the new code after a save.
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Emitter } from '../../../src/core/events';
import { supervisedContainer } from '../../../src/core/sync/supervisor';
import { followSaves } from '../../../src/sync/sources';
import { coreApi, fault, needsCluster, needsSandbox, TestNamespace, until } from '../../helpers/cluster';
import { createShellPod, type Running, startSync, tempFolder, untilInStep } from './fixtures';

function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        let b = '';
        res.on('data', (d) => (b += d));
        res.on('end', () => resolve(b));
      })
      .on('error', reject);
  });
}

describe('sync: recovery and restart', { skip: needsCluster.skip }, () => {
  let ns: TestNamespace;
  const folders: ReturnType<typeof tempFolder>[] = [];
  const runs: Running[] = [];
  before(async () => {
    ns = await TestNamespace.create('dl-sync-rec');
  });
  after(async () => {
    for (const r of runs) r.dispose();
    for (const f of folders) f.dispose();
    await fault({ kind: 'idle-stream-timeout', ms: 0 }).catch(() => {});
    await ns?.dispose();
  });

  it(
    'changes made while the stream is cut or the API server is down arrive after it comes back',
    { skip: needsSandbox.skip, timeout: 120_000 },
    async () => {
      await createShellPod(ns, 'drop');
      const f = tempFolder();
      folders.push(f);
      writeFileSync(join(f.dir, 'a.txt'), 'one');
      const run = await startSync(ns.name, 'drop', f.dir);
      runs.push(run);
      await untilInStep(run, ns.name, 'drop', f.dir);

      // Idle streams are cut after 300 ms: the receiver's stream goes, and is opened again.
      await fault({ kind: 'idle-stream-timeout', ms: 300 });
      await until('the receiver stream to be cut', () => run.syncer.current.state === 'reconnecting', 20_000);
      writeFileSync(join(f.dir, 'a.txt'), 'two');
      writeFileSync(join(f.dir, 'during-cut.txt'), 'cut');
      await fault({ kind: 'idle-stream-timeout', ms: 0 });
      await untilInStep(run, ns.name, 'drop', f.dir);

      await fault({ kind: 'api-down', ms: 2000 });
      writeFileSync(join(f.dir, 'during-api-down.txt'), 'down');
      writeFileSync(join(f.dir, 'a.txt'), 'three');
      await untilInStep(run, ns.name, 'drop', f.dir);
      const out = await run.conn.objects.exec(
        ns.name,
        'drop',
        'app',
        ['cat', '/app/a.txt', '/app/during-cut.txt', '/app/during-api-down.txt'],
        AbortSignal.timeout(10_000),
      );
      assert.equal(out.stdout, 'threecutdown');
    },
  );

  it('a restart-on-sync Node service answers with the new code after a save', { timeout: 120_000 }, async () => {
    const f = tempFolder();
    folders.push(f);
    const server = (v: string) => `require('http').createServer((q, s) => s.end('${v}')).listen(8080);\n`;
    writeFileSync(join(f.dir, 'server.js'), server('v1'));
    const { command, args } = supervisedContainer({ command: ['node', '/app/server.js'] });
    await coreApi().createNamespacedPod({
      namespace: ns.name,
      body: {
        metadata: { name: 'svc' },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'app', image: 'node:20', command, args, ports: [{ containerPort: 8080 }] }],
        },
      },
    });
    await until('pod svc running', async () => (await ns.readPod('svc')).status?.phase === 'Running', 120_000);
    const run = await startSync(ns.name, 'svc', f.dir, { action: 'restart' });
    runs.push(run);
    const saves = new Emitter<string>();
    followSaves(saves.event, run.syncer);
    const fwd = await run.conn.portForward({ namespace: ns.name, pod: 'svc', remotePort: 8080, localPort: 0 });
    try {
      await until('the service to answer v1', async () => (await get(fwd.localPort)) === 'v1', 30_000);
      writeFileSync(join(f.dir, 'server.js'), server('v2'));
      saves.fire(join(f.dir, 'server.js'));
      await until('the service to answer v2', async () => (await get(fwd.localPort)) === 'v2', 30_000);
      assert.deepEqual(run.syncer.current.failures, []);
      const pod = await ns.readPod('svc');
      assert.equal(pod.status?.containerStatuses?.[0]?.restartCount ?? 0, 0, 'the pod itself was not restarted');
    } finally {
      fwd.dispose();
    }
  });
});
