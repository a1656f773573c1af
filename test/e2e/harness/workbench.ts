// Drives the VS Code workbench the way a person does, finding things by what they are called
// on screen (accessible names and roles), not by the workbench's internal structure where an
// accessible name exists.
import type { Locator, Page } from 'playwright-core';

/** One row of a tree view as a screen reader announces it. */
export interface TreeRow {
  /** The row's label alone (the tree item's `label`). */
  label: string;
  /** What is announced: label, description and ", has actions". */
  name: string;
  level: number;
  expanded: boolean | undefined;
  /** Position among the rendered rows (the tree renders only what is scrolled into view). */
  index: number;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class Tree {
  constructor(
    private readonly page: Page,
    readonly locator: Locator,
  ) {}

  async rows(): Promise<TreeRow[]> {
    const rows = await this.locator.getByRole('treeitem').evaluateAll((els) =>
      els.map((e) => ({
        label: e.querySelector('.monaco-icon-label')?.getAttribute('aria-label') ?? e.getAttribute('aria-label') ?? '',
        name: e.getAttribute('aria-label') ?? '',
        level: Number(e.getAttribute('aria-level')),
        expanded: e.hasAttribute('aria-expanded') ? e.getAttribute('aria-expanded') === 'true' : undefined,
        index: Number((e as HTMLElement).dataset.index),
      })),
    );
    return rows.sort((a, b) => a.index - b.index);
  }

  /** The rows directly below `parent` (a row index), or the top-level rows. */
  private childrenIn(rows: TreeRow[], parent: TreeRow | undefined): TreeRow[] {
    if (!parent) return rows.filter((r) => r.level === 1);
    const out: TreeRow[] = [];
    for (const r of rows.slice(rows.indexOf(parent) + 1)) {
      if (r.level <= parent.level) break;
      if (r.level === parent.level + 1) out.push(r);
    }
    return out;
  }

  private findIn(rows: TreeRow[], path: string[]): TreeRow | undefined {
    let current: TreeRow | undefined;
    for (const label of path) {
      current = this.childrenIn(rows, current).find((r) => r.label === label);
      if (!current) return undefined;
    }
    return current;
  }

  /** Waits until the row at `path` (labels from the top) is shown, and returns it. */
  async find(path: string[], timeoutMs = 30_000): Promise<TreeRow> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = await this.rows();
      const row = this.findIn(rows, path);
      if (row) return row;
      if (Date.now() > deadline) {
        throw new Error(`no row ${path.join(' › ')} in the tree; it shows:\n${rows.map((r) => `${'  '.repeat(r.level - 1)}${r.name}`).join('\n')}`);
      }
      await this.page.waitForTimeout(200);
    }
  }

  row(r: TreeRow): Locator {
    return this.locator.locator(`[role=treeitem][data-index="${r.index}"]`);
  }

  /** Clicks the row at `path` if it is collapsed, and waits until it shows as expanded. */
  async expand(path: string[]): Promise<void> {
    const r = await this.find(path);
    if (r.expanded === true) return;
    if (r.expanded === undefined) throw new Error(`${path.join(' › ')} cannot be expanded`);
    await this.row(r).click();
    await this.page.waitForFunction(
      ({ selector }) => document.querySelector(selector)?.getAttribute('aria-expanded') === 'true',
      { selector: `[role=treeitem][data-index="${r.index}"]` },
    );
  }

  /**
   * The labels of the rows below `path`, once they stop saying "Loading…". Rows appear as watches
   * deliver them, so this waits until `until` accepts them (or time runs out, returning the last).
   */
  async children(path: string[], until: (labels: string[]) => boolean = () => true, timeoutMs = 30_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = await this.rows();
      const parent = path.length ? this.findIn(rows, path) : undefined;
      const labels = path.length && !parent ? [] : this.childrenIn(rows, parent).map((r) => r.label);
      const loading = labels.some((l) => l.startsWith('Loading'));
      if ((!loading && until(labels)) || Date.now() > deadline) return labels;
      await this.page.waitForTimeout(200);
    }
  }
}

export class Workbench {
  constructor(readonly page: Page) {}

  /** Opens the workbench and waits until it is drawn. */
  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  }

  /** Clicks a view container in the activity bar (e.g. "Devlane") unless it is already showing. */
  async openViewContainer(name: string): Promise<void> {
    const tab = this.page.getByRole('tablist', { name: 'Active View Switcher' }).getByRole('tab', { name: new RegExp(`^${escape(name)}( \\(|$)`) });
    await tab.waitFor({ timeout: 60_000 });
    if ((await tab.getAttribute('aria-selected')) !== 'true') await tab.click();
  }

  /** A tree view by its accessible name (the view's name, e.g. "Clusters"). */
  tree(name: string): Tree {
    return new Tree(this.page, this.page.getByRole('tree', { name, exact: true }));
  }

  /** Runs a command from the Command Palette by its title as listed there ("Devlane: Refresh"). */
  async runCommand(title: string): Promise<void> {
    await this.page.keyboard.press('F1');
    const input = this.page.getByRole('combobox', { name: /input/i }).or(this.page.locator('.quick-input-widget input')).first();
    await input.waitFor();
    await input.fill(`>${title}`);
    const option = this.page.getByRole('option', { name: new RegExp(`^${escape(title)}`) }).first();
    await option.waitFor();
    await option.click();
  }

  /** What the status bar items say (their accessible names). */
  async statusBar(): Promise<string[]> {
    const items = this.page.getByRole('status').getByRole('button');
    return (await items.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? e.textContent ?? ''))).filter(Boolean);
  }

  /** The messages of the notification toasts on screen. */
  async notifications(): Promise<string[]> {
    return this.page.locator('.notification-toast .notification-list-item').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? e.textContent ?? ''));
  }

  /** The text of the visible lines of the active editor (or of the Output view's editor). */
  async editorText(where: 'editor' | 'output' = 'editor'): Promise<string> {
    const scope = where === 'editor' ? this.page.locator('.editor-group-container.active .monaco-editor') : this.page.locator('.panel .monaco-editor');
    return (await scope.first().locator('.view-lines').innerText()).replace(/\u00a0/g, ' ');
  }

  /** The rows the active terminal shows. */
  async terminalText(): Promise<string> {
    return this.page.locator('.terminal-wrapper.active .xterm-rows, .terminal-wrapper.active .xterm-accessibility-tree').first().innerText();
  }
}
