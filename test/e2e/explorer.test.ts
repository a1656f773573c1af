// Suite step 1, as a person does it: open the Devlane view in a real VS Code and see the
// cluster's contexts, the demo shop's namespaces and their services, by clicking.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EditorSession, ensureTools, leftovers, Steps, type Workbench } from './harness/index';
import { e2eSkipReason } from './skip';
import { contexts as ctx } from '../helpers/kubectl';

const contexts = [ctx.admin, ctx.alice, ctx.bob];
const namespaces = ['shop', 'shop-plain'];
const services = ['catalog', 'ratings', 'stock', 'web'];

describe('step 1: the Devlane view lists the cluster', { skip: e2eSkipReason({ demoShop: true }) }, () => {
  let session: EditorSession | undefined;
  let wb: Workbench | undefined;
  const steps = new Steps('explorer', () => wb?.page);
  const say = (line: string) => console.log(`  ${line}`);

  before(async () => {
    const tools = await ensureTools(say);
    if ('missing' in tools) throw new Error(tools.missing);
    session = await EditorSession.start({
      name: 'explorer',
      tools,
      kubeconfig: process.env.DEVLANE_TEST_KUBECONFIG!,
      say,
    });
  });

  after(async () => {
    await session?.close();
    console.log(steps.report());
    assert.deepEqual(leftovers(), [], 'every process the suite started has ended');
  });

  it('shows the sandbox contexts, the current one first and expanded', async () => {
    wb = await steps.step('open the workbench', () => session!.openWorkbench());
    await steps.step('open the Devlane view', () => wb!.openViewContainer('Devlane'));
    const tree = wb.tree('Clusters');
    const top = await steps.step('contexts appear', () =>
      tree.children([], (l) => contexts.every((c) => l.includes(c))),
    );
    assert.deepEqual([...top].sort(), contexts);
    assert.equal(top[0], ctx.alice, 'the current context of the kubeconfig comes first');
    assert.equal((await tree.find([ctx.alice])).expanded, true);
  });

  it('lists the namespaces shop and shop-plain under the current context', async () => {
    const tree = wb!.tree('Clusters');
    const names = await steps.step('namespaces appear', () =>
      tree.children([ctx.alice], (l) => namespaces.every((n) => l.includes(n))),
    );
    for (const ns of namespaces)
      assert.ok(names.includes(ns), `namespace ${ns} is listed (shown: ${names.join(', ')})`);
  });

  for (const ns of namespaces) {
    it(`lists the services of ${ns} when it is clicked`, async () => {
      const tree = wb!.tree('Clusters');
      await steps.step(`click ${ns}`, () => tree.expand([ctx.alice, ns]));
      const shown = await steps.step(`services of ${ns} appear`, () =>
        tree.children([ctx.alice, ns], (l) => services.every((s) => l.includes(s))),
      );
      assert.deepEqual(shown, services);
      const web = await tree.find([ctx.alice, ns, 'web']);
      assert.match(web.name, /^web 80\b/, 'the service row shows its port');
    });
  }
});
