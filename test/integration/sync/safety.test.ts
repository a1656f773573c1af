// The first sync deletes what the container has and the local folder does not, but never what it
// does not own: volumes the copy mounts inside remotePath stay as they are (a configMap, and an
// emptyDir the program writes to), and many deletions wait for the user's consent; declined, none
// are made and the sync goes on with uploads.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DeletePreview } from '../../../src/core/sync/deletes';
import { coreApi, needsCluster, TestNamespace, until } from '../../helpers/cluster';
import { type Running, remoteTree, startSync, tempFolder } from './fixtures';

async function createPod(
  ns: TestNamespace,
  name: string,
  setup: string,
  spec: Record<string, unknown> = {},
  mounts: { name: string; mountPath: string }[] = [],
): Promise<void> {
  await coreApi().createNamespacedPod({
    namespace: ns.name,
    body: {
      metadata: { name },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'app',
            image: 'busybox:1.36',
            command: ['sh', '-c', `${setup} && while :; do sleep 3600; done`],
            volumeMounts: mounts,
          },
        ],
        ...spec,
      },
    },
  });
  await until(`pod ${name} running`, async () => (await ns.readPod(name)).status?.phase === 'Running', 120_000);
}

describe('sync: what the first sync may delete', { skip: needsCluster.skip }, () => {
  let ns: TestNamespace;
  const stop: (() => unknown)[] = [];
  const exec = async (run: Running, pod: string, cmd: string) =>
    (await run.conn.objects.exec(ns.name, pod, 'app', ['sh', '-c', cmd], AbortSignal.timeout(20_000))).stdout;

  before(async () => {
    ns = await TestNamespace.create('dl-syncsafe');
  });
  after(async () => {
    for (const s of stop.reverse()) await s();
    await ns?.dispose();
  });

  it(
    'leaves volumes mounted inside remotePath untouched, deletes a stray file elsewhere, and says so',
    { timeout: 180_000 },
    async () => {
      await coreApi().createNamespacedConfigMap({
        namespace: ns.name,
        body: { metadata: { name: 'settings' }, data: { 'settings.json': '{"from":"cluster"}' } },
      });
      await createPod(
        ns,
        'mounts',
        'mkdir -p /app && echo stray > /app/stray.txt && echo written-by-the-app > /app/cache/state.db',
        {
          volumes: [
            { name: 'settings', configMap: { name: 'settings' } },
            { name: 'cache', emptyDir: {} },
          ],
        },
        [
          { name: 'settings', mountPath: '/app/config' },
          { name: 'cache', mountPath: '/app/cache' },
        ],
      );
      const folder = tempFolder();
      stop.push(() => folder.dispose());
      writeFileSync(join(folder.dir, 'index.js'), 'console.log(1)\n');
      const run = await startSync(ns.name, 'mounts', folder.dir);
      stop.push(() => run.dispose());
      await run.syncer.whenIdle();

      const tree = await remoteTree(run.conn, ns.name, 'mounts');
      assert.equal(tree.has('stray.txt'), false, 'the stray file is deleted');
      assert.equal(tree.has('index.js'), true);
      assert.equal(await exec(run, 'mounts', 'cat /app/config/settings.json'), '{"from":"cluster"}');
      assert.equal(await exec(run, 'mounts', 'cat /app/cache/state.db'), 'written-by-the-app\n');
      assert.deepEqual(
        run.syncer.current.notes?.map((n) => n.replace(/ is a mounted volume.*/, '')),
        ['Left alone: /app/cache (emptyDir "cache")', 'Left alone: /app/config (configMap "settings")'],
      );
      assert.deepEqual(run.syncer.current.failures, []);

      // Later changes below a mount are not carried either; the rest is.
      mkdirSync(join(folder.dir, 'cache'));
      writeFileSync(join(folder.dir, 'cache', 'state.db'), 'local');
      writeFileSync(join(folder.dir, 'index.js'), 'console.log(2)\n');
      await until(
        'the edit to land',
        async () => (await exec(run, 'mounts', 'cat /app/index.js')) === 'console.log(2)\n',
        60_000,
      );
      await run.syncer.whenIdle();
      assert.equal(await exec(run, 'mounts', 'cat /app/cache/state.db'), 'written-by-the-app\n');
    },
  );

  it(
    'asks before deleting many paths; declined, deletes none and carries on with uploads',
    { timeout: 180_000 },
    async () => {
      await createPod(
        ns,
        'many',
        'mkdir -p /app/old && for i in $(seq 1 30); do echo $i > /app/old/f$i.txt; done && echo keep > /app/top.txt',
      );
      const folder = tempFolder();
      stop.push(() => folder.dispose());
      writeFileSync(join(folder.dir, 'index.js'), 'console.log(1)\n');
      const asked: DeletePreview[] = [];
      const run = await startSync(ns.name, 'many', folder.dir, {}, undefined, {
        confirmDeletes: async (p) => {
          asked.push(p);
          return false;
        },
      });
      stop.push(() => run.dispose());
      await run.syncer.whenIdle();

      assert.deepEqual(
        asked.map((p) => ({ count: p.count, paths: p.paths, pod: p.pod })),
        [{ count: 32, paths: ['old/', 'top.txt'], pod: 'many' }],
      );
      const tree = await remoteTree(run.conn, ns.name, 'many');
      assert.equal(
        [...tree.keys()].filter((p) => p.startsWith('old/')).length,
        30,
        'nothing under /app/old was deleted',
      );
      assert.equal(tree.has('top.txt'), true);
      assert.equal(await exec(run, 'many', 'cat /app/index.js'), 'console.log(1)\n', 'the upload still happened');
      assert.match(
        run.syncer.current.notes?.join('\n') ?? '',
        /32 paths in \/app that are not in your local folder were kept .*uploads only/,
      );
    },
  );
});
