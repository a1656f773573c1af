// A Go service in a real VS Code: in a shop of the test's own, alice opens the demo's stock source
// as her workspace (a Go module with no Devlane config), runs Develop This Service on stock (a
// binary on a scratch image) and accepts the proposed mapping (the folder → the container, action
// build on golang:1.26, saved to .vscode/devlane.json); a save in main.go is built
// in the copy and answers through the routed URL; a save that does not compile shows the compiler's
// error in the Problems view at main.go's line while the old program keeps answering, and the fix
// clears it; then Debug on stock, a breakpoint in the handler stops a routed request there (call
// stack, current line), continue answers it; stopping the debugger and the session leaves nothing
// (the Sessions view empty, the namespace as it was). Times are printed, never asserted.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { EditorSession, ensureTools, REPO, Steps, type Workbench } from './harness/index';
import { Chain } from './harness/chain';
import { e2eSkipReason } from './skip';
import { endStory } from './story';
import { until } from '../helpers/cluster';
import { expectRestored, snapshot } from '../helpers/session';
import { contexts } from '../helpers/kubectl';
import { createShop, type Shop } from '../helpers/shop';

/* eslint-disable @typescript-eslint/no-explicit-any -- stock's JSON answers and kubectl's */

/** GET a routed URL; the answer's JSON, or undefined while the copy does not answer yet. */
async function getJson(url: string): Promise<any> {
  const res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

describe(
  'a Go service: build on save, compile errors in Problems, a breakpoint in the cluster',
  { skip: e2eSkipReason({ demoShop: true }) },
  () => {
    const say = (line: string) => console.log(`  ${line}`);
    let shop: Shop | undefined;
    let ns = '';
    let alice: EditorSession | undefined;
    let a: Workbench | undefined;
    let session = '';
    let routedUrl = '';
    let pristine: Record<string, any> = {};
    const steps = new Steps('go', () => a?.page);
    const chain = new Chain();
    const gate = (t: TestContext) => chain.open(t);
    const guard = (title: string, fn: () => Promise<void>) => chain.run(title, fn);
    const figures: string[] = [];
    const stockOf = (product = 'p-1') => getJson(new URL(`stock/${product}`, routedUrl).toString());
    const mainGo = () => readFileSync(join(alice!.workspace, 'main.go'), 'utf8');
    const lineOf = (text: string) =>
      mainGo()
        .split('\n')
        .findIndex((l) => l.includes(text)) + 1;

    before(async () => {
      const tools = await ensureTools(say);
      if ('missing' in tools) throw new Error(tools.missing);
      shop = await createShop('dl-go-e2e', { istio: false });
      ns = shop.namespace;
      pristine = snapshot(ns);
      alice = await EditorSession.start({
        name: 'go-alice',
        tools,
        kubeconfig: process.env.DEVLANE_TEST_KUBECONFIG!,
        workspaceFrom: join(REPO, 'sandbox/demo/src/stock'),
        say,
      });
    });

    after(() => endStory({ name: 'go', ns, session, editor: alice, shop, steps, figures, say }));

    it('1. Develop This Service on stock: the proposed mapping builds Go on golang:1.26, and the routed URL answers from the copy', async (t) => {
      if (!gate(t)) return;
      await guard('step 1', async () => {
        a = await steps.step('open the workbench', () => alice!.openWorkbench());
        await steps.step('open the Devlane view', () => a!.openViewContainer('Devlane'));
        const tree = a.tree('Clusters');
        await steps.step(`make ${ns} the default namespace`, () =>
          tree.contextMenu([contexts.alice, ns], 'Use as Default Namespace'),
        );
        await steps.step(`expand ${ns}`, async () => {
          await tree.expand([contexts.alice, ns]);
          await tree.children([contexts.alice, ns], (l) => l.includes('stock'));
        });
        const clicked = performance.now();
        await steps.step('right-click stock → Develop This Service', () =>
          tree.contextMenu([contexts.alice, ns, 'stock'], 'Develop This Service'),
        );
        const input = a.inputBox('Develop stock: session name');
        session = await steps.step('accept the session name', async () => {
          await input.waitFor({ timeout: 30_000 });
          const name = await input.inputValue();
          await input.press('Enter');
          return name;
        });
        // The question comes once the workspace and the original's container were looked at; the
        // option is picked only once it is on screen, in the question it belongs to.
        const question = a.page
          .locator('.quick-input-widget')
          .filter({ hasText: 'Sync stock: which local folder goes where in the developer copy?' });
        const proposed = await steps.step(
          'the proposed mapping: the folder, built with Go on golang:1.26',
          async () => {
            const option = question.getByRole('option', { name: / → \// }).first();
            await option.waitFor({ timeout: 60_000 });
            return (await option.innerText()).replace(/\s+/g, ' ');
          },
        );
        assert.match(proposed, /action "build"/, proposed);
        assert.match(proposed, /golang:1\.26/, proposed);
        await steps.step('accept it', async () => {
          await question.getByRole('option', { name: / → \// }).first().click();
          await question.waitFor({ state: 'hidden', timeout: 10_000 });
        });
        const saved = JSON.parse(readFileSync(join(alice!.workspace, '.vscode/devlane.json'), 'utf8'));
        assert.deepEqual(
          {
            localPath: saved.services.stock.localPath,
            action: saved.services.stock.action,
            devImage: saved.services.stock.devImage,
          },
          { localPath: '.', action: 'build', devImage: 'golang:1.26' },
          `saved to .vscode/devlane.json: ${JSON.stringify(saved.services.stock)}`,
        );
        await steps.step('the status bar shows stock live', () =>
          a!.waitForStatus(
            'Devlane session',
            (l) => l.startsWith(`Devlane session ${session}, your services stock`) && !/being set up|not Ready/.test(l),
            240_000,
          ),
        );
        // The session's own notifications (taken over, sync) go first: at most three toasts show at once.
        await steps.step('clear the notifications', () => a!.clearNotifications());
        // The page the workbench opens loads only once the copy answers (after its first build),
        // and the notification, shown as soon as the page is opened, may have hidden itself by then:
        // it is looked for from the start, and the page is closed without waiting for it to load.
        const shown = a.waitForNotification(/Routed URL for stock/, 120_000);
        shown.catch(() => undefined);
        await steps.step('Open Routed URL → stock (command palette): the workbench opens it', async () => {
          const opened = a!.page.context().waitForEvent('page', { timeout: 60_000 });
          await a!.runCommand('Devlane: Open Routed URL');
          await a!.pickOption(/^stock\b/);
          await (await opened).close();
        });
        const note = await steps.step('the notification shows the routed URL', () => shown);
        routedUrl = /Routed URL for stock \(session [\w-]+\): (http:\/\/127\.0\.0\.1:\d+\/)/.exec(note)?.[1] ?? '';
        assert.ok(routedUrl, `the notification names a URL: ${note}`);
        // The copy's first build (the standard library too, unoptimised for the debugger) comes before its first answer.
        const first = await steps.step('the routed URL answers from the copy it built', () =>
          until(
            'the copy to answer',
            async () => {
              const body = await stockOf();
              return body.copy === `devlane:${session}` ? body : undefined;
            },
            300_000,
          ),
        );
        figures.push(
          `Develop This Service → first answer from the built copy: ${((performance.now() - clicked) / 1000).toFixed(1)} s`,
        );
        assert.equal(first.units, 12);
      });
    });

    it('2. a save in main.go is built in the copy and answers through the routed URL', async (t) => {
      if (!gate(t)) return;
      await guard('step 2', async () => {
        await steps.step('open main.go', () => a!.openFile('main.go'));
        await steps.step('edit: p-1 has 42 units', () => a!.replaceAll('"p-1": 12', '"p-1": 42'));
        const saved = performance.now();
        await steps.step('save (Ctrl+S)', () => a!.save());
        const body = await steps.step('the routed answer shows the new code', () =>
          until(
            '42 units for p-1 through the route',
            async () => {
              const b = await stockOf();
              return b.units === 42 ? b : undefined;
            },
            120_000,
          ),
        );
        figures.push(`save → new Go code answering: ${((performance.now() - saved) / 1000).toFixed(2)} s`);
        assert.equal(body.copy, `devlane:${session}`);
      });
    });

    it("3. a compile error shows in Problems at main.go's line while the old program answers; the fix clears it", async (t) => {
      if (!gate(t)) return;
      await guard('step 3', async () => {
        const line = lineOf('body["product"] = product');
        assert.ok(line > 0, 'main.go sets body["product"]');
        await steps.step('edit: a name that does not exist', () =>
          a!.replaceAll('body["product"] = product', 'body["product"] = produkt'),
        );
        await steps.step('save (Ctrl+S)', () => a!.save());
        const row = await steps.step('the Problems view lists the compiler error', () =>
          until(
            'the compile error in the Problems view',
            async () => (await a!.problems()).find((r) => /undefined: produkt/.test(r)),
            120_000,
          ),
        );
        assert.match(row, new RegExp(`\\b${line}\\b`), `the problem is at line ${line}: ${row}`);
        const file = await a!.problems();
        assert.ok(
          file.some((r) => /\bmain\.go\b/.test(r) && !/produkt/.test(r)),
          `the problem is under main.go: ${file.join(' | ')}`,
        );
        assert.equal((await stockOf()).units, 42, 'the previous program still answers');
        await steps.step('fix it', () => a!.replaceAll('body["product"] = produkt', 'body["product"] = product'));
        await steps.step('save (Ctrl+S)', () => a!.save());
        await steps.step('the problem is gone', () =>
          until(
            'the compile error to leave the Problems view',
            async () => !(await a!.problems()).some((r) => /undefined: produkt/.test(r)),
            120_000,
          ),
        );
        assert.equal((await stockOf()).units, 42);
      });
    });

    it('4. Debug stock: a breakpoint in the handler stops a routed request; continue answers it', async (t) => {
      if (!gate(t)) return;
      await guard('step 4', async () => {
        const line = lineOf('body := answeredBy()');
        assert.ok(line > 0, 'the handler calls answeredBy');
        await steps.step(`set a breakpoint on line ${line} of main.go (F9)`, async () => {
          await a!.openViewContainer('Run and Debug');
          await a!.openFile('main.go');
          await a!.goToLine(line);
          await a!.page.keyboard.press('F9');
          await a!.page
            .getByRole('tree', { name: 'Breakpoints' })
            .getByRole('checkbox', { name: new RegExp(`^main\\.go ${line}\\b`) })
            .waitFor({ timeout: 10_000 });
        });
        await steps.step('Sessions → stock → Debug', async () => {
          await a!.openViewContainer('Devlane');
          const sessions = a!.tree('Sessions');
          await sessions.expand([session]);
          await sessions.contextMenu([session, 'stock'], 'Debug');
          await a!.page
            .locator('.debug-toolbar')
            .getByRole('button', { name: /^Disconnect|^Stop/ })
            .first()
            .waitFor({ timeout: 60_000 });
        });
        await steps.step('the status bar says the debugger is attached', () =>
          a!.waitForStatus('Devlane session', (l) => l.includes('debugger attached'), 60_000),
        );
        // As a person waits for the breakpoint to be bound in the running program before sending the
        // request: while a debug session runs, the editor draws a breakpoint the debugger has not
        // verified hollow, and a verified one filled.
        await steps.step('the breakpoint is bound in the copy', () =>
          until(
            "the breakpoint's glyph to show it verified",
            async () => {
              const editor = a!.activeEditor();
              return (
                (await editor.locator('.codicon-debug-breakpoint').count()) > 0 &&
                (await editor.locator('.codicon-debug-breakpoint-unverified').count()) === 0
              );
            },
            30_000,
          ),
        );
        const sent = performance.now();
        const request = stockOf('p-3');
        let answered = false;
        request.then(
          () => (answered = true),
          () => undefined,
        );
        await steps.step('a routed request stops at the breakpoint', () =>
          a!.page
            .getByRole('treegrid', { name: 'Debug Call Stack' })
            .getByRole('row', { name: /Paused on breakpoint/i })
            .first()
            .waitFor({ timeout: 60_000 }),
        );
        figures.push(`request → breakpoint: ${((performance.now() - sent) / 1000).toFixed(2)} s`);
        await steps.step('the call stack shows main.stock in main.go', () =>
          a!.page
            .getByRole('treegrid', { name: 'Debug Call Stack' })
            .getByRole('row', { name: /main\.stock/ })
            .first()
            .waitFor({ timeout: 10_000 }),
        );
        await steps.step(`the editor marks line ${line} as the current one`, async () => {
          await a!.page
            .locator('.editor-group-container.active .codicon-debug-stackframe')
            .first()
            .waitFor({ timeout: 10_000 });
          await a!.page
            .getByRole('status')
            .getByRole('button', { name: new RegExp(`^Ln ${line}, Col \\d+`) })
            .first()
            .waitFor({ timeout: 10_000 });
        });
        assert.equal(answered, false, 'the request waits while the copy is paused');
        const body = await steps.step('continue: the request completes', async () => {
          await a!.page
            .locator('.debug-toolbar')
            .getByRole('button', { name: /^Continue/ })
            .first()
            .click();
          return request;
        });
        assert.equal(body.copy, `devlane:${session}`);
        assert.equal(body.units, 3);
      });
    });

    it('5. stop debugging and the session: nothing is left', async (t) => {
      if (!session) return t.skip('no session was started');
      await steps.step('stop debugging', async () => {
        if ((await a!.statusBar()).some((l) => l.startsWith('Devlane session') && l.includes('debugger')))
          await a!.runCommand('Debug: Stop');
        await a!.waitForStatus('Devlane session', (l) => !l.includes('debugger'), 30_000);
        await a!.page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 30_000 });
      });
      await steps.step('status bar → Stop Session', () => a!.statusMenu('Devlane session', /Stop Session/));
      await steps.step('the status bar no longer shows a session', () => a!.waitForNoStatus('Devlane session', 90_000));
      await steps.step('the Sessions view is empty', async () => {
        await a!.openViewContainer('Devlane');
        await until(
          'the Sessions view to be empty',
          async () => (await a!.tree('Sessions').rows()).length === 0,
          30_000,
        );
      });
      await steps.step('the namespace equals its state before the session', () => expectRestored(ns, pristine));
      session = '';
    });
  },
);
