// The ids in src/core/contributions.ts and package.json's contributes must name the same things.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import pkg from '../../../package.json';
import {
  commands,
  configKeys,
  configSection,
  contextKeys,
  debugType,
  panelViewType,
  treeItemContexts,
  views,
} from '../../../src/core/contributions';
import { type DebugRuntime, debugRuntimes } from '../../../src/core/debug/runtime';

interface Menu {
  command: string;
  when?: string;
}
const contributes = pkg.contributes as unknown as {
  commands: { command: string; title: string }[];
  configuration: { properties: Record<string, unknown> };
  views: Record<string, { id: string }[]>;
  viewsContainers: { activitybar: { id: string; icon: string }[] };
  menus: Record<string, Menu[]>;
};
const allMenus = Object.values(contributes.menus).flat();
/** The repository root: the nearest folder above this (bundled) test holding package.json. */
const repo = ((): string => {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
})();

interface WalkthroughStep {
  id: string;
  description: string;
  media: { markdown: string };
  completionEvents?: string[];
}
const walkthroughSteps = (
  pkg.contributes as unknown as { walkthroughs: { steps: WalkthroughStep[] }[] }
).walkthroughs.flatMap((w) => w.steps);
const debuggerTypes = ((pkg.contributes as unknown as { debuggers?: { type: string }[] }).debuggers ?? []).map(
  (d) => d.type,
);
/** VS Code's own commands and context keys that the walkthrough uses (checked by hand against VS Code 1.139). */
const vscodeCommands = new Set(['workbench.action.openSettings', 'workbench.action.debug.configure']);
const knownContextKeys = new Set<string>([...Object.values(contextKeys), 'debugType', 'inDebugMode']);
/** Ours, VS Code's listed above, or `<view>.focus`, which VS Code defines for every view. */
const knownCommand = (id: string): boolean =>
  (Object.values(commands) as string[]).includes(id) ||
  vscodeCommands.has(id) ||
  (id.endsWith('.focus') && (Object.values(views) as string[]).includes(id.slice(0, -'.focus'.length)));
const whens = allMenus.map((m) => m.when ?? '');

describe('package.json contributions', () => {
  it('lets a breakpoint be set in the source of every runtime the devlane debug type debugs', () => {
    // VS Code takes a breakpoint (F9, a click in the gutter) only in a language some debugger
    // declares: without Go here, main.go takes none unless another extension declares Go.
    const languages: Record<DebugRuntime, string[]> = {
      node: ['javascript', 'typescript'],
      python: ['python'],
      go: ['go'],
    };
    const c = pkg.contributes as unknown as {
      breakpoints: { language: string }[];
      debuggers: { type: string; languages: string[] }[];
    };
    const wanted = debugRuntimes.flatMap((r) => languages[r]).sort();
    assert.deepEqual(c.breakpoints.map((b) => b.language).sort(), wanted);
    assert.deepEqual([...(c.debuggers.find((d) => d.type === debugType)?.languages ?? [])].sort(), wanted);
  });

  it('contributes exactly the commands the code registers', () => {
    assert.deepEqual(contributes.commands.map((c) => c.command).sort(), Object.values(commands).sort());
  });

  it('contributes exactly the settings the code reads', () => {
    assert.deepEqual(
      Object.keys(contributes.configuration.properties).sort(),
      Object.values(configKeys)
        .map((k) => `${configSection}.${k}`)
        .sort(),
    );
  });

  it('declares the view container and views the code creates', () => {
    assert.deepEqual(
      contributes.viewsContainers.activitybar.map((c) => c.id),
      [views.container],
    );
    assert.deepEqual(
      contributes.views[views.container].map((v) => v.id),
      [views.clusters, views.sessions],
    );
  });

  it('has a walkthrough whose every step shows a file that exists, and every walkthrough file is shown', () => {
    const files = walkthroughSteps.map((s) => s.media.markdown);
    assert.ok(files.length >= 6);
    for (const f of files) assert.ok(existsSync(join(repo, f)), `walkthrough step shows ${f}, which is missing`);
    const shipped = readdirSync(join(repo, 'media/walkthrough'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `media/walkthrough/${f}`);
    assert.deepEqual(shipped.sort(), [...new Set(files)].sort(), 'a walkthrough file no step shows');
  });

  it('links walkthrough steps only to commands that exist', () => {
    const links = walkthroughSteps.flatMap((s) =>
      [...s.description.matchAll(/\(command:([\w.-]+)/g)].map((m) => ({ step: s.id, command: m[1] })),
    );
    assert.ok(links.length >= 6);
    for (const { step, command } of links)
      assert.ok(knownCommand(command), `walkthrough step ${step} links to unknown command ${command}`);
  });

  it('completes walkthrough steps only on events that name real commands, views, settings and context keys', () => {
    const settings = new Set(Object.keys(contributes.configuration.properties));
    const ourViews = new Set<string>(Object.values(views));
    let checked = 0;
    for (const step of walkthroughSteps) {
      for (const event of step.completionEvents ?? []) {
        const [, kind, arg] = /^([^:]+):?(.*)$/.exec(event) ?? [];
        const where = `walkthrough step ${step.id}: ${event}`;
        checked++;
        if (kind === 'onCommand') assert.ok(knownCommand(arg), `${where} names an unknown command`);
        else if (kind === 'onView') assert.ok(ourViews.has(arg), `${where} names a view package.json does not declare`);
        else if (kind === 'onSettingChanged')
          assert.ok(settings.has(arg), `${where} names a setting package.json does not declare`);
        else if (kind === 'onContext') {
          // Keys start the expression or follow &&, ||, ! or (; what follows == or != is a value.
          const named = [...arg.matchAll(/(?:^|&&|\|\||!|\()\s*([A-Za-z][\w.]*)/g)].map((m) => m[1]);
          assert.ok(named.length > 0, `${where}: no context key`);
          for (const k of named)
            assert.ok(
              knownContextKeys.has(k),
              `${where} reads context key ${k}, which neither Devlane nor VS Code sets`,
            );
        } else
          assert.ok(kind === 'onStepSelected' || kind === 'onLink', `${where}: not a completion event VS Code knows`);
      }
    }
    assert.ok(checked >= 8);
  });

  it(
    'shows a debug configuration whose type is the one package.json contributes',
    { skip: debuggerTypes.length === 0 ? 'package.json contributes no debugger yet' : false },
    () => {
      const md = readFileSync(join(repo, 'media/walkthrough/debug.md'), 'utf8');
      const config = JSON.parse(/```json\n([\s\S]*?)```/.exec(md)![1]);
      assert.ok(
        debuggerTypes.includes(config.type),
        `debug.md shows type ${config.type}; package.json contributes ${debuggerTypes.join(', ')}`,
      );
      assert.equal(config.request, 'attach');
    },
  );

  it('only puts known commands in menus', () => {
    const known = new Set<string>(Object.values(commands));
    for (const m of allMenus) assert.ok(known.has(m.command), `menu names unknown command ${m.command}`);
  });

  it('matches only tree item context values the model sets', () => {
    const known = new Set<string>(Object.values(treeItemContexts));
    const used = whens.flatMap((w) => [...w.matchAll(/viewItem == ([\w.]+)/g)].map((m) => m[1]));
    assert.ok(used.length > 0);
    for (const value of used) assert.ok(known.has(value), `a menu matches viewItem == ${value}, which no row has`);
    // A pattern must match some row, and never one of another view's kind by accident.
    const patterns = whens.flatMap((w) => [...w.matchAll(/viewItem =~ \/(.+?)\/(?=\s|\)|$)/g)].map((m) => m[1]));
    assert.ok(patterns.length > 0);
    for (const p of patterns)
      assert.ok(
        [...known].some((v) => new RegExp(p).test(v)),
        `a menu matches viewItem =~ /${p}/, which no row has`,
      );
  });

  it('offers Clean Up on a session some of whose participants expired, and on no session whose participants are all alive', () => {
    const cleanUp = allMenus.filter((m) => m.command === commands.cleanUpSession && m.when?.includes('viewItem'));
    assert.ok(cleanUp.length > 0);
    const offered = (value: string) =>
      cleanUp.some((m) =>
        [...m.when!.matchAll(/viewItem (==|=~) (\/(.+?)\/|[\w.]+)/g)].some(([, op, raw, re]) =>
          op === '==' ? raw === value : new RegExp(re).test(value),
        ),
      );
    for (const v of [
      treeItemContexts.sessionOrphaned,
      treeItemContexts.sessionMineExpired,
      treeItemContexts.sessionOtherExpired,
    ])
      assert.ok(offered(v), `Clean Up is not offered on ${v}`);
    for (const v of [treeItemContexts.sessionMine, treeItemContexts.sessionOther])
      assert.ok(!offered(v), `Clean Up is offered on ${v}`);
  });

  it('only reads context keys the code sets', () => {
    const known = new Set<string>(Object.values(contextKeys));
    // Comparisons (view == x, viewItem == y) name views and rows; what is left are context keys.
    const used = whens.flatMap((w) =>
      [...w.replace(/[\w.]+\s*==\s*[\w.]+/g, '').matchAll(/devlane\.[\w.]+/g)].map((m) => m[0]),
    );
    assert.ok(used.length > 0);
    for (const key of used) assert.ok(known.has(key), `a when clause reads ${key}, which is never set`);
  });

  it('writes view welcome text plainly: VS Code shows it as text and links, so Markdown emphasis would show as asterisks', () => {
    const welcome = (pkg.contributes as unknown as { viewsWelcome: { view: string; contents: string }[] }).viewsWelcome;
    assert.ok(welcome.length > 0);
    for (const w of welcome) {
      const text = w.contents.replace(/\[[^\]]*\]\([^)]*\)/g, '');
      assert.ok(
        !/\*\*|__|(^|\s)[*_]\S/.test(text),
        `the welcome text of ${w.view} has Markdown emphasis, shown literally: ${w.contents}`,
      );
    }
  });

  it('ends a command title with an ellipsis only where the command always asks for more before it acts', () => {
    const title = (id: string) => contributes.commands.find((c) => c.command === id)?.title;
    // Stopping a session you are alone in acts at once; the question comes only when others are in it.
    assert.equal(title(commands.stopSession), 'Stop Session');
  });

  it("leaves launch.json's first configurations to the provider, which knows the services, and activates for it", () => {
    // VS Code writes a debugger's initialConfigurations and then the provider's; a fixed one would name a service nobody has.
    const devlane = (
      pkg.contributes as unknown as { debuggers: { type: string; initialConfigurations?: unknown[] }[] }
    ).debuggers.find((d) => d.type === 'devlane');
    assert.equal(devlane?.initialConfigurations, undefined);
    assert.ok(pkg.activationEvents.includes('onDebugInitialConfigurations'));
  });

  it('runs next to the code: workspace extension kind, bundle as main', () => {
    assert.deepEqual(pkg.extensionKind, ['workspace']);
    assert.equal(pkg.main, './dist/extension.js');
  });

  it('activates for what the entry registers and VS Code can ask before any view or command: a link, a restored panel, a debug configuration', () => {
    // Views and commands activate the extension by themselves (VS Code derives onView / onCommand).
    assert.deepEqual(
      [...pkg.activationEvents].sort(),
      [
        'onDebugInitialConfigurations',
        `onDebugResolve:${debugType}`,
        'onUri',
        `onWebviewPanel:${panelViewType}`,
      ].sort(),
    );
    assert.ok(debuggerTypes.includes(debugType));
  });

  it('packages the activation entry and the core it loads on first need', () => {
    const allowed = readFileSync(join(repo, '.vscodeignore'), 'utf8').split('\n');
    for (const bundle of ['dist/extension.js', 'dist/extension-core.js'])
      assert.ok(allowed.includes(`!${bundle}`), `.vscodeignore lets ${bundle} in`);
  });
});
