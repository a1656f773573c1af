// Every kind of change reaches the container, and after a burst of 1,000 random operations the
// container's tree equals the local tree minus the ignores (compared by content hash). Sync is
// started as the editor starts it: the ignores come from the folder's own .gitignore and
// .dockerignore and the workspace's .vscode/devlane.json, and ignored files never arrive.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ignoreRules } from '../../../src/core/sync/ignore-rules';
import { needsCluster, TestNamespace } from '../../helpers/cluster';
import { copyLabels, createShellPod, type Running, startServiceSyncIn, tempFolder, untilInStep } from './fixtures';

describe('sync: every kind of change', { skip: needsCluster.skip }, () => {
  let ns: TestNamespace;
  let folder: ReturnType<typeof tempFolder>;
  let run: Running;
  const pod = 'dev';
  /** The service's folder in the workspace (the mapping's localPath). */
  const at = (...p: string[]) => join(folder.dir, 'app', ...p);
  const exec = async (cmd: string) =>
    (await run.conn.objects.exec(ns.name, pod, 'app', ['sh', '-c', cmd], AbortSignal.timeout(20_000))).stdout;

  before(async () => {
    ns = await TestNamespace.create('dl-sync');
    await createShellPod(ns, pod, undefined, undefined, copyLabels('s1', 's'));
    folder = tempFolder();
    mkdirSync(join(folder.dir, '.vscode'));
    writeFileSync(
      join(folder.dir, '.vscode', 'devlane.json'),
      JSON.stringify({
        version: 1,
        services: { s: { localPath: 'app', remotePath: '/app', action: 'none', exclude: ['*.tmp'], container: 'app' } },
      }),
    );
    mkdirSync(at());
    writeFileSync(at('.gitignore'), '*.log\nbuild/\n');
    writeFileSync(at('.dockerignore'), 'secret.txt\n');
    writeFileSync(at('index.js'), 'console.log(1)\n');
    mkdirSync(at('node_modules', 'left'), { recursive: true });
    writeFileSync(at('node_modules', 'left', 'x.js'), 'x');
    writeFileSync(at('debug.log'), 'ignored');
    writeFileSync(at('secret.txt'), 'ignored');
    const expected = ignoreRules({ gitignore: '*.log\nbuild/\n', dockerignore: 'secret.txt\n', exclude: ['*.tmp'] });
    run = await startServiceSyncIn(ns.name, folder.dir, { session: 's1', service: 's' }, expected);
  });
  after(async () => {
    run?.dispose();
    folder?.dispose();
    await ns?.dispose();
  });

  it(
    'carries the initial tree, minus .gitignore, .dockerignore, exclude, node_modules',
    { timeout: 60_000 },
    async () => {
      await untilInStep(run, ns.name, pod, at());
      assert.equal(await exec('cat /app/index.js'), 'console.log(1)\n');
      assert.equal(await exec('ls -A /app | sort | tr "\\n" " "'), '.dockerignore .gitignore index.js ');
    },
  );

  it(
    'creates, edits, deletes and renames files and folders, binary, odd names, mode bits',
    { timeout: 120_000 },
    async () => {
      writeFileSync(at('index.js'), 'console.log(2)\n');
      writeFileSync(at('new file with spaces.txt'), 'spaces');
      writeFileSync(at('ünïcødé 名前.txt'), 'unicode');
      const binary = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7919) % 256));
      writeFileSync(at('blob.bin'), binary);
      mkdirSync(at('src', 'deep', 'er'), { recursive: true });
      writeFileSync(at('src', 'deep', 'er', 'a.js'), 'a');
      writeFileSync(at('run.sh'), '#!/bin/sh\necho hi\n');
      chmodSync(at('run.sh'), 0o755);
      writeFileSync(at('x.tmp'), 'excluded');
      writeFileSync(at('later.log'), 'ignored');
      await untilInStep(run, ns.name, pod, at());
      assert.equal(await exec('cat /app/index.js'), 'console.log(2)\n');
      assert.equal(await exec('stat -c %a /app/run.sh'), '755\n');
      assert.equal(await exec('sh /app/run.sh'), 'hi\n');
      assert.equal(await exec(`cat '/app/ünïcødé 名前.txt'`), 'unicode');
      assert.equal((await exec('wc -c < /app/blob.bin')).trim(), '70000');
      assert.equal(
        await exec('ls -A /app | grep -E "[.](tmp|log)$" || true'),
        '',
        'excluded and .gitignored files did not arrive',
      );

      renameSync(at('new file with spaces.txt'), at('renamed file.txt'));
      renameSync(at('src', 'deep'), at('src', 'moved'));
      chmodSync(at('run.sh'), 0o700);
      rmSync(at('blob.bin'));
      await untilInStep(run, ns.name, pod, at());
      assert.equal(await exec('stat -c %a /app/run.sh'), '700\n');
      assert.equal(await exec('cat /app/src/moved/er/a.js'), 'a');
      assert.equal(await exec('ls /app/src'), 'moved\n');

      rmSync(at('src'), { recursive: true });
      mkdirSync(at('empty dir'));
      await untilInStep(run, ns.name, pod, at());
      assert.equal(await exec('test -d "/app/empty dir" && test ! -e /app/src && echo gone'), 'gone\n');
      assert.deepEqual(run.syncer.current.failures, []);
    },
  );

  it('after 1,000 random operations the container equals the local tree', { timeout: 240_000 }, async () => {
    let seed = 42;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
    const dirs = ['', 'a', 'a/b', 'c', 'd e', 'ü'];
    for (const d of dirs) if (d) mkdirSync(at(d), { recursive: true });
    const files = () =>
      dirs
        .filter((d) => existsSync(at(d)))
        .flatMap((d) =>
          readdirSync(at(d))
            .filter((n) => statSync(at(d, n)).isFile())
            .map((n) => (d ? `${d}/${n}` : n)),
        );
    for (let i = 0; i < 1000; i++) {
      const d = dirs[rand(dirs.length)];
      if (d && !existsSync(at(d))) mkdirSync(at(d), { recursive: true });
      const existing = files();
      const op = rand(10);
      if (op < 4 || existing.length === 0)
        writeFileSync(
          at(d, `f${rand(200)}${rand(5) === 0 ? '.log' : '.txt'}`),
          `content ${i} ${'x'.repeat(rand(3000))}`,
        );
      else if (op < 6) writeFileSync(at(existing[rand(existing.length)]), `edit ${i}`);
      else if (op < 8) rmSync(at(existing[rand(existing.length)]), { force: true });
      else if (op < 9) renameSync(at(existing[rand(existing.length)]), at(d, `r${rand(200)}.txt`));
      else if (d && rand(4) === 0) rmSync(at(d), { recursive: true, force: true });
      else chmodSync(at(existing[rand(existing.length)]), rand(2) ? 0o755 : 0o644);
      if (i % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    const lines = await untilInStep(run, ns.name, pod, at(), 120_000);
    assert.ok(lines.length > 20, `the burst left ${lines.length} paths`);
    assert.equal(await exec('find /app -name "*.log"'), '', 'no .gitignored file arrived');
    assert.deepEqual(run.syncer.current.failures, []);
  });
});
