// Two developers whose kubeconfigs call their user entry the same ("dev", as managed clusters'
// generated kubeconfigs tend to) are told apart by who the API server says they are: separate
// sessions, Leases and default names, in the session layer and in the CLI, with no cross-talk.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { KubeClusters } from '../../../src/cluster/clusters';
import { mergeKubeconfigs } from '../../../src/core/kubeconfig';
import type { SessionError } from '../../../src/core/session/errors';
import { defaultSessionName } from '../../../src/core/session/names';
import { labels } from '../../../src/core/session/route-contract';
import { participantId } from '../../../src/core/session/participant';
import { participantOf } from '../../../src/session/participant';
import { Sessions } from '../../../src/session/sessions';
import { kubeconfigPath, MemoryLogger, needsCluster } from '../../helpers/cluster';
import { contexts, isSandbox } from '../../helpers/kubectl';
import { REPO } from '../../helpers/sandbox';
import { kubectlJson, expectRestored, snapshot } from '../../helpers/session';
import { createShop, type Shop } from '../../helpers/shop';

const signal = () => AbortSignal.timeout(240_000);

/** A kubeconfig of one developer's own: their credentials under a user entry called "dev". */
function sharedNameKubeconfig(dir: string, context: string, who: string): string {
  const { config } = mergeKubeconfigs([{ path: kubeconfigPath!, text: readFileSync(kubeconfigPath!, 'utf8') }]);
  const ctx = config.contexts.find((c) => c.name === context)!;
  const body = ctx.context as { cluster: string; user: string };
  const file = join(dir, `${who}.yaml`);
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [config.clusters.find((c) => c.name === body.cluster)],
      users: [{ ...config.users.find((u) => u.name === body.user), name: 'dev' }],
      contexts: [{ name: 'work', context: { cluster: body.cluster, user: 'dev' } }],
      'current-context': 'work',
    }),
  );
  return file;
}

describe('two developers whose kubeconfig user entries have the same name', needsCluster, () => {
  let shop: Shop;
  let dir: string;
  const files = { alice: '', bob: '' };
  const users = { alice: '', bob: '' };
  before(async () => {
    shop = await createShop('dl-ident', { istio: false });
    dir = mkdtempSync(join(tmpdir(), 'devlane-ident-'));
    files.alice = sharedNameKubeconfig(dir, contexts.alice, 'alice');
    files.bob = sharedNameKubeconfig(dir, contexts.bob, 'bob');
    for (const who of ['alice', 'bob'] as const) {
      const clusters = new KubeClusters(
        { setting: () => files[who], env: {} },
        { logger: new MemoryLogger(), idleMs: 0 },
      );
      users[who] = (await clusters.connection('work').whoAmI(signal())).username;
      clusters.dispose();
    }
  });
  after(() => {
    shop?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function sessionsFor(file: string, instance: string) {
    const clusters = new KubeClusters({ setting: () => file, env: {} }, { logger: new MemoryLogger(), idleMs: 0 });
    const conn = clusters.connection('work');
    assert.equal(conn.context.user, 'dev', 'the kubeconfig calls the user "dev"');
    return {
      s: new Sessions({
        api: conn.objects,
        context: 'work',
        namespace: shop.namespace,
        participant: participantOf(conn, instance),
        logger: new MemoryLogger(),
      }),
      clusters,
    };
  }

  const leases = () =>
    kubectlJson(['get', 'leases', '-n', shop.namespace, '-l', `${labels.role}=lease`]).items as {
      metadata: { name: string };
      spec: { holderIdentity: string };
    }[];

  it('are known by the names the API server authenticates', () => {
    if (isSandbox()) assert.deepEqual(users, { alice: 'alice', bob: 'bob' });
    assert.notEqual(users.alice, users.bob);
  });

  it('get a session each from the session layer, and neither touches the other', async () => {
    const before = snapshot(shop.namespace);
    const alice = sessionsFor(files.alice, 'w1');
    const bob = sessionsFor(files.bob, 'w1');
    const aliceElsewhere = sessionsFor(files.alice, 'w2');
    try {
      const a = await alice.s.start({ service: 'ratings' }, signal());
      const b = await bob.s.start({ service: 'ratings' }, signal());
      try {
        assert.equal(a.session, defaultSessionName(users.alice, 'ratings'));
        assert.equal(b.session, defaultSessionName(users.bob, 'ratings'));
        assert.notEqual(a.session, b.session);
        assert.equal(b.resumed, false, "bob did not resume alice's session");
        assert.notEqual(a.routeKey, b.routeKey);

        const listed = await alice.s.list(signal());
        const participants = (name: string) => listed.find((s) => s.name === name)?.participants.map((p) => p.name);
        assert.deepEqual(participants(a.session), [participantId(users.alice, 'w1')]);
        assert.deepEqual(participants(b.session), [participantId(users.bob, 'w1')]);
        const held = leases();
        assert.deepEqual(
          held.map((l) => l.spec.holderIdentity).sort(),
          [participantId(users.alice, 'w1'), participantId(users.bob, 'w1')].sort(),
        );
        assert.equal(new Set(held.map((l) => l.metadata.name)).size, 2, 'one Lease each');

        // The same person in a second editor window is another participant: told to join, not resumed.
        await assert.rejects(
          aliceElsewhere.s.start({ service: 'ratings' }, signal()),
          (err: SessionError) => /already exists/.test(err.message) && /Join it first/.test(err.full),
        );

        assert.deepEqual(await bob.s.leave(b.session, signal()), { ended: true });
        const after = await alice.s.list(signal());
        assert.deepEqual(
          after.map((s) => s.name),
          [a.session],
          "bob leaving ended only bob's session",
        );
        assert.deepEqual(
          leases().map((l) => l.spec.holderIdentity),
          [participantId(users.alice, 'w1')],
          "alice's Lease is still there",
        );
      } finally {
        a.heartbeat.dispose();
        b.heartbeat.dispose();
      }
      assert.deepEqual(await alice.s.leave(a.session, signal()), { ended: true });
    } finally {
      alice.clusters.dispose();
      bob.clusters.dispose();
      aliceElsewhere.clusters.dispose();
    }
    await expectRestored(shop.namespace, before);
  });

  it('get a session each from the CLI, and leave only their own', async () => {
    const before = snapshot(shop.namespace);
    const cli = (file: string, args: string[]) => {
      const r = spawnSync(
        process.execPath,
        [join(REPO, 'dist/cli.js'), '--kubeconfig', file, '-n', shop.namespace, ...args, '--json'],
        { encoding: 'utf8', timeout: 240_000, env: { ...process.env, DEVLANE_INSTANCE: undefined } },
      );
      assert.equal(r.status, 0, `devlane ${args.join(' ')}: ${r.stderr}`);
      return JSON.parse(r.stdout);
    };
    const a = cli(files.alice, ['start', 'ratings', '--detach']);
    const b = cli(files.bob, ['start', 'ratings', '--detach']);
    assert.equal(a.session, defaultSessionName(users.alice, 'ratings'));
    assert.equal(b.session, defaultSessionName(users.bob, 'ratings'));
    assert.equal(b.resumed, false);
    const listed = cli(files.bob, ['sessions']) as { name: string; participants: { name: string }[] }[];
    const owner = (name: string) => listed.find((s) => s.name === name)?.participants.map((p) => p.name.split('#')[0]);
    assert.deepEqual(owner(a.session), [users.alice]);
    assert.deepEqual(owner(b.session), [users.bob]);

    // A later run on the same machine is the same participant, so it can leave what it started.
    assert.deepEqual(cli(files.bob, ['leave', b.session]), { session: b.session, ended: true });
    assert.deepEqual(
      cli(files.alice, ['sessions']).map((s: { name: string }) => s.name),
      [a.session],
    );
    assert.deepEqual(cli(files.alice, ['leave', a.session]), { session: a.session, ended: true });
    await expectRestored(shop.namespace, before);
  });
});
