// The session panel in a real VS Code, as a person uses it: with a session on ratings (started
// with the CLI in a namespace of its own), alice opens the panel from the Command Palette, sees the
// session (masked route key, the copy's pod, what the session changed), tries a request through
// the route and without the key and sees which copy answered, hides the panel behind an editor and
// finds it as she left it, reveals the key, and finds the panel again after reloading the window. Everything is found by role and accessible name
// inside the webview's frame. Times are printed, never asserted.
import { contexts } from '../helpers/kubectl';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FrameLocator } from 'playwright-core';
import { EditorSession, ensureTools, leftovers, Steps, type Workbench } from './harness/index';
import { e2eSkipReason } from './skip';
import { cli } from '../helpers/session';
import { createShop, type Shop } from '../helpers/shop';

describe('the session panel', { skip: e2eSkipReason({ demoShop: true }) }, () => {
  let shop: Shop | undefined;
  let session: EditorSession | undefined;
  let wb: Workbench | undefined;
  let routeKey = '';
  const name = 'pnl';
  const steps = new Steps('panel', () => wb?.page);
  const say = (line: string) => console.log(`  ${line}`);
  const frame = (): FrameLocator => wb!.page.frameLocator('iframe.webview').frameLocator('iframe#active-frame');

  before(async () => {
    const tools = await ensureTools(say);
    if ('missing' in tools) throw new Error(tools.missing);
    shop = await createShop('dl-panel', { istio: false });
    const started = cli([
      '-n',
      shop.namespace,
      'start',
      'ratings',
      '--session',
      name,
      '--detach',
      '--ttl',
      '900',
      '--yes',
      '--json',
    ]);
    assert.equal(started.code, 0, started.stderr);
    routeKey = started.json.routeKey;
    assert.ok(routeKey, started.stdout);
    session = await EditorSession.start({
      name: 'panel',
      tools,
      kubeconfig: process.env.DEVLANE_TEST_KUBECONFIG!,
      say,
    });
  });

  after(async () => {
    await session?.close();
    if (shop) cli(['-n', shop.namespace, 'stop', name, '--yes']);
    shop?.cleanup();
    console.log(steps.report());
    assert.deepEqual(leftovers(), [], 'every process the suite started has ended');
  });

  it('opens from the Command Palette and shows the session with the key masked', async () => {
    wb = await steps.step('open the workbench', () => session!.openWorkbench());
    await steps.step('open the Devlane view', () => wb!.openViewContainer('Devlane'));
    await steps.step('make the namespace the default', () =>
      wb!.tree('Clusters').contextMenu([contexts.alice, shop!.namespace], 'Use as Default Namespace'),
    );
    await steps.step('the session appears in Sessions', () => wb!.tree('Sessions').find([name], 60_000));
    await steps.step('run Open Session Panel', () => wb!.runCommand('Devlane: Open Session Panel'));
    await wb!.pickOption(new RegExp(`^${name}\\b`));
    const f = frame();
    await steps.step('the panel shows the session', () =>
      f.getByRole('heading', { name: `Session ${name}` }).waitFor({ timeout: 60_000 }),
    );
    assert.equal(await f.getByLabel('Route key, masked').innerText(), `••••${routeKey.slice(-4)}`);
    assert.equal(
      (await f.locator('body').innerText()).includes(routeKey),
      false,
      'the full route key is not in the page',
    );
    await steps.step("the copy's pod is listed", () =>
      f
        .getByRole('table', { name: 'Pods of the copy of ratings' })
        .getByText(`ratings-dl-${name}-`)
        .first()
        .waitFor({ timeout: 60_000 }),
    );
    const changes = await f.getByRole('list', { name: 'Changes for ratings' }).innerText();
    assert.match(changes, new RegExp(`Created Deployment ratings-dl-${name}\\. On stop: `));
    assert.match(
      changes,
      /Put Devlane's router in front of Service ratings\. On stop: /,
      'the router strategy put its router in front of the Service',
    );
    assert.match(
      changes,
      new RegExp(`Changed ConfigMap ratings-devlane-router\\. On stop: Remove session ${name}'s route`),
    );
    for (const button of [
      'Stop Session',
      'Leave Session',
      'Take Over Another Service',
      'Copy Join Link',
      'Open Routed URL',
      'Copy Route Key',
      'Open Logs: ratings',
      'Debug: ratings',
    ]) {
      assert.equal(await f.getByRole('button', { name: button, exact: true }).count(), 1, `a button named "${button}"`);
    }
  });

  it('tries a request through the route and without the key, and shows which copy answered', async () => {
    const f = frame();
    await f.getByRole('textbox', { name: 'Path' }).fill('/ratings/p-1');
    await f.getByRole('button', { name: 'Send Through the Route' }).click();
    const routed = f.getByRole('group', { name: 'Through the route: GET /ratings/p-1 → ratings' });
    await steps.step('the routed answer shows', () => routed.waitFor({ timeout: 30_000 }));
    assert.match(await routed.innerText(), /^200 OK in [\d.]+ ms · answered by the developer copy /m);
    assert.match(await routed.getByLabel('Response body').innerText(), new RegExp(`"copy":"devlane:${name}"`));
    await f.getByRole('button', { name: 'Send Without the Key' }).click();
    const plain = f.getByRole('group', { name: 'Without the key: GET /ratings/p-1 → ratings' });
    await steps.step('the plain answer shows', () => plain.waitFor({ timeout: 30_000 }));
    assert.match(await plain.innerText(), /^200 OK in [\d.]+ ms · answered by the original /m);
    assert.match(await plain.getByLabel('Response body').innerText(), /"copy":"original"/);
    assert.match(await plain.getByLabel('Response body').innerText(), /"route":null/);
  });

  it('comes back as it was after being hidden behind an editor', async () => {
    await steps.step('open a file in front of the panel', () => wb!.openFile('ratings/server.js'));
    await wb!.page.getByRole('tab', { name: new RegExp(`Session ${name}`) }).click();
    const f = frame();
    await steps.step('the panel shows again', () =>
      f.getByRole('heading', { name: `Session ${name}` }).waitFor({ timeout: 30_000 }),
    );
    assert.equal(await f.getByRole('textbox', { name: 'Path' }).inputValue(), '/ratings/p-1');
    assert.equal(await f.getByRole('group', { name: /^(Through the route|Without the key): / }).count(), 2);
  });

  it('reveals the key only when asked', async () => {
    const f = frame();
    await f.getByRole('button', { name: 'Reveal Route Key' }).click();
    await steps.step('the key shows', () => f.getByLabel('Route key', { exact: true }).waitFor());
    assert.equal(await f.getByLabel('Route key', { exact: true }).innerText(), routeKey);
  });

  it('is still there after the window reloads', async () => {
    await steps.step('reload the window', () => wb!.runCommand('Developer: Reload Window'));
    await wb!.page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    const f = frame();
    await steps.step('the panel is restored', () =>
      f.getByRole('heading', { name: `Session ${name}` }).waitFor({ timeout: 60_000 }),
    );
    assert.equal(await f.getByRole('textbox', { name: 'Path' }).inputValue(), '/ratings/p-1');
    assert.equal(
      await f.getByLabel('Route key, masked').innerText(),
      `••••${routeKey.slice(-4)}`,
      'a reload masks the key again',
    );
  });
});
