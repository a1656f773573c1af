// Editor flows around a session that the suite's main walk (session.test.ts) does not take, in a
// real VS Code, in a shop of the test's own that both editors' settings call production:
// - Develop This Service on a Clusters row outside the namespace Devlane follows: the production
//   plan dialog, declined (nothing is created), then applied (the session runs in the row's
//   namespace, and the status bar and the Clusters row show it);
// - Copy Join Link puts a link on the clipboard that bob's editor opens (its URI handler): the join
//   confirmation, declined (nothing joined, the cluster unchanged), then accepted;
// - Clean Up from the Sessions view when alice's editor is gone but bob is still in the session
//   (only some participants expired): what alice took over is given back, the session stays with bob;
// - Clean Up of an orphaned session (its only participant's Lease expired) from the Sessions view.
// Dialogs are the editor's own, clicked as a person does; the cluster is read with kubectl.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EditorSession, ensureTools, leftovers, Steps, type Tools, type Workbench } from './harness/index';
import { Chain } from './harness/chain';
import { e2eSkipReason } from './skip';
import { isDeepStrictEqual } from 'node:util';
import { cli, eventually, expectRestored, kubectl, kubectlJson, snapshot } from '../helpers/session';
import { contexts } from '../helpers/kubectl';
import { createShop, type Shop } from '../helpers/shop';

/* eslint-disable @typescript-eslint/no-explicit-any -- kubectl's JSON */

/**
 * Bob's own kubeconfig: his user, under the context name alice's kubeconfig uses for the same
 * cluster (as colleagues' kubeconfigs often do), so that a link alice copies names a context bob has.
 */
function bobsKubeconfig(kubeconfig: string, dir: string): string {
  const path = join(dir, 'kubeconfig-bob');
  copyFileSync(kubeconfig, path);
  const config = (args: string[]) => {
    const r = spawnSync('kubectl', ['--kubeconfig', path, 'config', ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`kubectl config ${args.join(' ')} failed: ${r.stderr}`);
  };
  config(['delete-context', contexts.alice]);
  config(['rename-context', contexts.bob, contexts.alice]);
  config(['use-context', contexts.alice]);
  return path;
}

/** The session record's state (participants, services taken over), or undefined when there is none. */
function record(
  ns: string,
  session: string,
): { participants: { name: string }[]; services: { service: string; owner: string }[] } | undefined {
  const r = kubectl(['get', 'configmap', `devlane-session-${session}`, '-n', ns, '-o', 'json']);
  return r.code === 0 ? JSON.parse(JSON.parse(r.stdout).data['session.json']) : undefined;
}

const users = (ns: string, session: string) =>
  (record(ns, session)?.participants ?? []).map((p) => p.name.split('#')[0]).sort();

/** The namespace as snapshot() sees it, with the renewals of Devlane's Leases left out (they tick on their own). */
function settled(ns: string): Record<string, any> {
  const s = snapshot(ns);
  for (const [k, v] of Object.entries(s)) if (k.startsWith('Lease/')) delete v.spec?.renewTime;
  return s;
}

describe(
  'editor flows: production plan, Develop outside the followed namespace, join links, Clean Up',
  { skip: e2eSkipReason({ demoShop: true }) },
  () => {
    const say = (line: string) => console.log(`  ${line}`);
    const kubeconfig = process.env.DEVLANE_TEST_KUBECONFIG!;
    let tools: Tools;
    let tmp = '';
    let shop: Shop | undefined;
    let ns = '';
    let alice: EditorSession | undefined;
    let bob: EditorSession | undefined;
    let a: Workbench;
    let b: Workbench;
    let actor: Workbench | undefined;
    const steps = new Steps('flows', () => actor?.page);
    /** Each test builds on the one before: after one fails, the ones after it are skipped. */
    const chain = new Chain();

    let pristine: Record<string, any> = {};
    let session = '';
    let link = '';
    const orphan = 'flows-orphan';

    before(async () => {
      const found = await ensureTools(say);
      if ('missing' in found) throw new Error(found.missing);
      tools = found;
      tmp = mkdtempSync('/tmp/devlane-e2e-flows-');
      shop = await createShop('flows', { istio: false });
      ns = shop.namespace;
      pristine = snapshot(ns);
      // Both editors call this namespace production; alice's kubeconfig follows shop, not it.
      const settings = { 'devlane.productionNamespaces': [ns] };
      const started = await Promise.allSettled([
        EditorSession.start({ name: 'flows-alice', tools, kubeconfig, settings, say }),
        EditorSession.start({ name: 'flows-bob', tools, kubeconfig: bobsKubeconfig(kubeconfig, tmp), settings, say }),
      ]);
      if (started[0].status === 'fulfilled') alice = started[0].value;
      if (started[1].status === 'fulfilled') bob = started[1].value;
      const failed = started.find((s) => s.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
    });

    after(async () => {
      for (const name of [session, orphan]) {
        if (name && ns && record(ns, name))
          say(`after a failure, stopped session ${name} with the CLI (exit ${cli(['-n', ns, 'stop', name]).code})`);
      }
      const closing = await Promise.allSettled([alice?.close(), bob?.close()]);
      shop?.cleanup();
      if (tmp) rmSync(tmp, { recursive: true, force: true });
      console.log(steps.report());
      for (const c of closing) if (c.status === 'rejected') throw c.reason;
      assert.deepEqual(leftovers(), [], 'every process the suite started has ended');
    });

    /** Alice: right-click ratings in the test's namespace → Develop This Service, and accept the session name offered. */
    async function developRatings(): Promise<string> {
      const tree = a.tree('Clusters');
      await tree.contextMenu([contexts.alice, ns, 'ratings'], 'Develop This Service');
      const input = a.inputBox('Develop ratings: session name');
      await input.waitFor();
      const name = await input.inputValue();
      await input.press('Enter');
      return name;
    }

    chain.it('the production plan dialog, declined, creates nothing in the cluster', 'production decline', async () => {
      a = await steps.step('alice opens the workbench', () => alice!.openWorkbench());
      actor = a;
      await steps.step('alice opens the Devlane view', () => a.openViewContainer('Devlane'));
      const tree = a.tree('Clusters');
      await steps.step(`alice expands ${ns}, which Devlane does not follow`, async () => {
        await tree.children([contexts.alice], (l) => l.includes(ns));
        await tree.expand([contexts.alice, ns]);
        await tree.children([contexts.alice, ns], (l) => l.includes('ratings'));
      });
      assert.doesNotMatch(
        (await tree.find([contexts.alice, ns])).name,
        /\bdefault\b/,
        `${ns} is not the namespace Devlane follows`,
      );
      const name = await steps.step('right-click ratings → Develop This Service', () => developRatings());
      session = name; // for the after hook, should a session be made after all
      const shown = await steps.step('the plan dialog: Cancel', () =>
        a.dialogButton(
          new RegExp(`${ns} in ${contexts.alice} looks like production\\. Apply this plan\\?`),
          'Cancel',
          120_000,
        ),
      );
      assert.match(shown, /ratings/, `the dialog shows the plan: ${shown}`);
      await steps.step('no session in the status bar', () => a.waitForNoStatus('Devlane session'));
      assert.equal(record(ns, name), undefined, 'no session record was made');
      await steps.step('the cluster is as it was', () => expectRestored(ns, pristine));
    });

    chain.it(
      'Develop This Service on a row outside the followed namespace: applied, the session runs there and the editor shows it',
      'develop outside',
      async () => {
        actor = a;
        session = await steps.step('right-click ratings → Develop This Service', () => developRatings());
        await steps.step('the plan dialog: Apply Plan', () =>
          a.dialogButton(/looks like production\. Apply this plan\?/, 'Apply Plan', 120_000),
        );
        await steps.step('the status bar shows ratings live', () =>
          a.waitForStatus(
            'Devlane session',
            (l) =>
              l.startsWith(`Devlane session ${session}, your services ratings`) && !/being set up|not Ready/.test(l),
            180_000,
          ),
        );
        assert.deepEqual(
          record(ns, session)?.services.map((s) => s.service),
          ['ratings'],
          `the session is in ${ns}, the row's namespace`,
        );
        assert.equal(
          kubectl(['get', 'configmap', `devlane-session-${session}`, '-n', 'shop']).code === 0,
          false,
          'nothing was started in the followed namespace',
        );
        await steps.step('Clusters marks ratings as taken over', () =>
          a
            .tree('Clusters')
            .rowName([contexts.alice, ns, 'ratings'], (n) => n.includes(`taken over by alice in session ${session}`)),
        );
      },
    );

    chain.it('Copy Join Link: the clipboard holds the link to the session', 'copy join link', async () => {
      actor = a;
      await steps.step('alice: status bar → Copy Join Link', () => a.statusMenu('Devlane session', /Copy Join Link/));
      await steps.step('the notification says it was copied', () =>
        a.waitForNotification(new RegExp(`Join link to session ${session} copied`)),
      );
      link = await a.clipboard();
      const url = new URL(link);
      assert.equal(url.pathname, '/join', link);
      assert.deepEqual(
        [url.searchParams.get('context'), url.searchParams.get('namespace'), url.searchParams.get('session')],
        [contexts.alice, ns, session],
        link,
      );
      assert.equal(url.host, 'devlane.devlane', `the link is addressed to the extension: ${link}`);
    });

    chain.it(
      'bob opens the join link: declined, nothing is joined and the cluster is unchanged; accepted, he is in the session',
      'join link',
      async () => {
        b = await steps.step('bob opens the workbench', () => bob!.openWorkbench());
        actor = b;
        await steps.step('bob opens the Devlane view', () => b.openViewContainer('Devlane'));
        const clusters = b.tree('Clusters');
        await steps.step(`bob uses ${ns} as the default namespace`, async () => {
          await clusters.children([contexts.alice], (l) => l.includes(ns));
          await clusters.contextMenu([contexts.alice, ns], 'Use as Default Namespace');
          await clusters.rowName([contexts.alice, ns], (n) => /\bdefault\b/.test(n));
        });
        const before = settled(ns);
        await steps.step('bob opens the link', () => b.openUrl(link));
        const asked = await steps.step('the join confirmation: Cancel', () =>
          b.dialogButton(new RegExp(`Join session ${session} in ${contexts.alice} / ${ns}\\?`), 'Cancel'),
        );
        assert.match(
          asked,
          /looks like production/,
          `bob's editor warns that the place looks like production: ${asked}`,
        );
        await steps.step("bob's Sessions view shows alice's session", () =>
          b.tree('Sessions').rowName([session], (n) => n.includes('by alice')),
        );
        assert.deepEqual(users(ns, session), ['alice'], 'bob is not a participant');
        assert.deepEqual(settled(ns), before, 'the cluster is unchanged');
        assert.deepEqual(
          await b.statusBar().then((l) => l.filter((x) => x.startsWith('Devlane session'))),
          [],
          "bob's status bar shows no session",
        );

        await steps.step('bob opens the link again', () => b.openUrl(link));
        await steps.step('the join confirmation: Join Session', () =>
          b.dialogButton(new RegExp(`Join session ${session} in ${contexts.alice} / ${ns}\\?`), 'Join Session'),
        );
        await steps.step("bob's status bar shows the session", () =>
          b.waitForStatus(
            'Devlane session',
            (l) => l.startsWith(`Devlane session ${session}, no service taken over`),
            60_000,
          ),
        );
        assert.deepEqual(users(ns, session), ['alice', 'bob']);
      },
    );

    chain.it(
      "Clean Up when only some participants expired: alice's editor is gone, what she took over is given back, bob stays in the session",
      'partial clean up',
      async () => {
        actor = b;
        await steps.step("alice's editor goes away (its Lease is no longer renewed)", async () => {
          const closing = alice!;
          alice = undefined;
          await closing.close();
        });
        // In a production-looking place the editor does not collect on its own: it asks once (a
        // notification, unit-tested); the Sessions view offers Clean Up for as long as it is due.
        const sessions = b.tree('Sessions');
        await steps.step("bob's Sessions view marks alice's Lease expired", () =>
          sessions.rowName([session], (n) => n.includes('1 Lease expired'), 180_000),
        );
        await steps.step('right-click → Clean Up Session, and confirm', async () => {
          await sessions.contextMenu([session], 'Clean Up Session');
          await b.dialogButton(new RegExp(`Clean up what alice left in session ${session}\\?`), 'Clean Up');
        });
        await steps.step(
          "what alice took over is given back: the namespace is as before, but for the session's record and bob's Lease",
          () =>
            eventually(
              'ratings to be given back',
              () => {
                const now = snapshot(ns);
                const left = Object.keys(now).filter((k) => !(k in pristine));
                const restored = Object.keys(pristine).every((k) => isDeepStrictEqual(now[k], pristine[k]));
                return restored &&
                  left.every((k) => k === `ConfigMap/devlane-session-${session}` || k.startsWith('Lease/'))
                  ? left
                  : undefined;
              },
              180_000,
            ),
        );
        assert.deepEqual(record(ns, session)?.services, [], 'the session holds no service any more');
        assert.deepEqual(users(ns, session), ['bob'], 'bob is still in the session, alice is not');
        await steps.step("bob's status bar still shows the session", () =>
          b.waitForStatus('Devlane session', (l) => l.startsWith(`Devlane session ${session}`)),
        );
      },
    );

    chain.it(
      'Clean Up of an orphaned session from the Sessions view puts back everything it changed',
      'orphan clean up',
      async () => {
        actor = b;
        // Alice's CLI starts a session and exits; its Lease lasts 10 s and is never renewed.
        const started = cli([
          '-n',
          ns,
          'start',
          'catalog',
          '--session',
          orphan,
          '--detach',
          '--ttl',
          '10',
          '--no-sync',
          '--json',
        ]);
        assert.equal(started.code, 0, started.stderr);
        const sessions = b.tree('Sessions');
        await steps.step('the Sessions view marks the session orphaned', () =>
          sessions.rowName([orphan], (n) => n.includes('orphaned'), 180_000),
        );
        await steps.step('right-click → Clean Up Session, and confirm', async () => {
          await sessions.contextMenu([orphan], 'Clean Up Session');
          await b.dialogButton(new RegExp(`Clean up session ${orphan}\\?`), 'Clean Up');
        });
        const listed = await steps.step('the session leaves the Sessions view', () =>
          sessions.children([], (l) => !l.includes(orphan), 120_000),
        );
        assert.ok(!listed.includes(orphan), `the Sessions view lists: ${listed.join(', ')}`);
        assert.equal(record(ns, orphan), undefined, 'its record is deleted');
        assert.equal(
          kubectlJson(['get', 'deployments', '-n', ns, '-l', `devlane.dev/session=${orphan}`]).items.length,
          0,
          'its copy of catalog is deleted',
        );
      },
    );

    it('bob leaves, the last participant: the namespace is as it was before the tests', async (t) => {
      if (!session || !bob) return t.skip('no session was started');
      actor = b;
      if (users(ns, session).includes('bob')) {
        await steps.step('bob: status bar → Leave Session', () => b.statusMenu('Devlane session', /Leave Session/));
        await steps.step("bob's status bar no longer shows a session", () =>
          b.waitForNoStatus('Devlane session', 120_000),
        );
      }
      if (!chain.failed) {
        await steps.step('the cluster equals its state before the tests', () => expectRestored(ns, pristine));
        session = '';
      }
    });
  },
);
