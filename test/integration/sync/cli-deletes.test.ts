// `devlane start` with sync, when the copy holds many files the local folder does not (here the
// ratings source gains 25 files in the cluster): without --yes and without a terminal to ask on,
// the first sync names them, deletes none, and goes on syncing uploads, saying so.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kubeconfigPath, needsCluster } from '../../helpers/cluster';
import { contexts, eventually, kubectl, kubectlJson, kubectlOk } from '../../helpers/kubectl';
import { REPO } from '../../helpers/sandbox';
import { createShop, type Shop } from '../../helpers/shop';

/* eslint-disable @typescript-eslint/no-explicit-any */
describe('sync from the CLI: many deletions need --yes', needsCluster, () => {
  let shop: Shop;
  let workspace: string;
  let child: ChildProcess | undefined;
  before(async () => {
    shop = await createShop('dl-cd', { istio: false });
    workspace = mkdtempSync(join(tmpdir(), 'devlane-ws-'));
    cpSync(join(REPO, 'sandbox/demo/src'), workspace, { recursive: true });
    const extra = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`generated-${i}.txt`, `${i}\n`]));
    kubectlOk([
      'patch',
      'configmap',
      'ratings-source',
      '-n',
      shop.namespace,
      '--type=merge',
      '-p',
      JSON.stringify({ data: extra }),
    ]);
  });
  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGINT');
      await exited;
    }
    shop?.cleanup();
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  it('keeps them, names them, and still uploads', { timeout: 300_000 }, async () => {
    const ns = shop.namespace;
    writeFileSync(join(workspace, 'ratings', 'marker.txt'), 'synced\n');
    let stderr = '';
    child = spawn(
      process.execPath,
      [
        join(REPO, 'dist/cli.js'),
        '--kubeconfig',
        kubeconfigPath!,
        '--context',
        contexts.alice,
        '-n',
        ns,
        'start',
        'ratings',
        '--session',
        'cd',
        '--workspace',
        workspace,
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.stdout!.resume();
    await eventually(
      'the CLI to be syncing',
      () => stderr.includes('Renewing the session') || child!.exitCode !== null,
      240_000,
    );
    assert.equal(child.exitCode, null, stderr);
    assert.match(
      stderr,
      /The first sync would delete 25 paths in \/app of ratings-\S+ that are not in your local folder:\n {2}generated-0\.txt\n/,
    );
    assert.match(stderr, /Not deleting them .*run with --yes/);
    assert.match(stderr, /25 paths in \/app that are not in your local folder were kept .*uploads only/);

    const pod = (
      kubectlJson(['get', 'pods', '-n', ns, '-l', 'devlane.dev/session=cd,devlane.dev/role=dev']).items as any[]
    ).find((p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp);
    const ls = kubectl([
      'exec',
      '-n',
      ns,
      pod.metadata.name,
      '-c',
      'ratings',
      '--',
      'sh',
      '-c',
      'ls /app | grep -c generated-; cat /app/marker.txt',
    ]);
    assert.equal(ls.stdout, '25\nsynced\n', ls.stderr);

    const exited = new Promise<number | null>((r) => child!.once('exit', r));
    child.kill('SIGINT');
    assert.equal(await exited, 0, stderr);
  });
});
