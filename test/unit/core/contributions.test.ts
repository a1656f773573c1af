// The ids in src/core/contributions.ts and package.json's contributes must name the same things.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pkg from '../../../package.json';
import { commands, configKeys, configSection, contextKeys, treeItemContexts, views } from '../../../src/core/contributions';

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
const whens = allMenus.map((m) => m.when ?? '');

describe('package.json contributions', () => {
  it('contributes exactly the commands the code registers', () => {
    assert.deepEqual(contributes.commands.map((c) => c.command).sort(), Object.values(commands).sort());
  });

  it('contributes exactly the settings the code reads', () => {
    assert.deepEqual(Object.keys(contributes.configuration.properties).sort(), Object.values(configKeys).map((k) => `${configSection}.${k}`).sort());
  });

  it('declares the view container and views the code creates', () => {
    assert.deepEqual(contributes.viewsContainers.activitybar.map((c) => c.id), [views.container]);
    assert.deepEqual(contributes.views[views.container].map((v) => v.id), [views.clusters, views.sessions]);
  });

  it('has a walkthrough whose every step shows a file that exists', () => {
    const walkthroughs = (pkg.contributes as unknown as { walkthroughs: { steps: { media: { markdown: string } }[] }[] }).walkthroughs;
    const files = walkthroughs.flatMap((w) => w.steps.map((s) => s.media.markdown));
    assert.ok(files.length >= 4);
    for (const f of files) assert.ok(existsSync(join(__dirname, '../../..', f)) || existsSync(f), `walkthrough step shows ${f}, which is missing`);
  });

  it('only puts known commands in menus', () => {
    const known = new Set<string>(Object.values(commands));
    for (const m of allMenus) assert.ok(known.has(m.command), `menu names unknown command ${m.command}`);
  });

  it('matches only tree item context values the model sets', () => {
    const known = new Set<string>(Object.values(treeItemContexts));
    const used = whens.flatMap((w) => [...w.matchAll(/viewItem == ([\w.]+)/g)].map((m) => m[1]));
    assert.ok(used.length > 0);
    for (const value of used) assert.ok(known.has(value), `a menu matches viewItem == ${value}, which no row has`);
  });

  it('only reads context keys the code sets', () => {
    const known = new Set<string>(Object.values(contextKeys));
    // Comparisons (view == x, viewItem == y) name views and rows; what is left are context keys.
    const used = whens.flatMap((w) => [...w.replace(/[\w.]+\s*==\s*[\w.]+/g, '').matchAll(/devlane\.[\w.]+/g)].map((m) => m[0]));
    assert.ok(used.length > 0);
    for (const key of used) assert.ok(known.has(key), `a when clause reads ${key}, which is never set`);
  });

  it('runs next to the code: workspace extension kind, bundle as main', () => {
    assert.deepEqual(pkg.extensionKind, ['workspace']);
    assert.equal(pkg.main, './dist/extension.js');
  });
});
