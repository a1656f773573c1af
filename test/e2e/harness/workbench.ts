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
      // Sticky scroll repeats the ancestors of the top row above the list: they are not rows.
      els
        .filter((e) => !e.closest('.monaco-tree-sticky-container'))
        .map((e) => ({
          label:
            e.querySelector('.monaco-icon-label')?.getAttribute('aria-label') ?? e.getAttribute('aria-label') ?? '',
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
    let misses = 0;
    // Rows seen so far by their position in the whole list: the tree renders only those scrolled
    // into view, so a path whose top is scrolled away is pieced together from several looks.
    let seen = new Map<number, TreeRow>();
    for (;;) {
      const rows = await this.rows();
      const row = this.findIn(rows, path);
      if (row) return row;
      if (Date.now() > deadline) {
        throw new Error(
          `no row ${path.join(' › ')} in the tree; it shows:\n${rows.map((r) => `${'  '.repeat(Math.max(0, r.level - 1))}${r.name}`).join('\n')}`,
        );
      }
      for (const r of rows) seen.set(r.index, r);
      const known = this.findIn(
        [...seen.values()].sort((x, y) => x.index - y.index),
        path,
      );
      if (known && rows.length) {
        // Seen above or below what is shown now: scroll that far, a row at a time.
        const first = rows[0].index;
        const last = rows[rows.length - 1].index;
        await this.wheel(known.index < first ? (known.index - first - 1) * 22 : (known.index - last + 1) * 22);
      } else {
        // Not seen yet: from the top (the first miss, and every eighth), then a screen further down.
        if (misses % 8 === 0) seen = new Map();
        await this.wheel(misses % 8 === 0 ? -100_000 : undefined);
        misses++;
      }
      await this.page.waitForTimeout(200);
    }
  }

  /** Scrolls the tree by `dy` pixels (undefined: most of a screen down) with the mouse wheel, as a person would. */
  private async wheel(dy: number | undefined): Promise<void> {
    const box = await this.locator.boundingBox();
    if (!box) return;
    await this.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await this.page.mouse.wheel(0, dy ?? Math.max(100, box.height * 0.6));
    await this.page.mouse.move(0, 0);
  }

  row(r: TreeRow): Locator {
    return this.locator.locator(`[role=treeitem][data-index="${r.index}"]`);
  }

  /** Waits until the rendered rows stay the same for `quietMs` (watches deliver rows, which move them). */
  async settle(quietMs = 300, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = JSON.stringify(await this.rows());
    while (Date.now() < deadline) {
      await this.page.waitForTimeout(quietMs);
      const now = JSON.stringify(await this.rows());
      if (now === last) return;
      last = now;
    }
  }

  /** Right-clicks the row at `path` and picks `item` from its context menu (by the item's accessible name). */
  async contextMenu(path: string[], item: string): Promise<void> {
    // Rows move while the tree updates (a namespace made default moves to the top), and a menu
    // may not take a click while the view re-renders: wait for the rows to settle, check that the
    // menu is the row's, and try again (by keyboard) while the menu stays open after the click.
    const menu = this.page.getByRole('menu');
    const attempts = 4;
    for (let attempt = 1; ; attempt++) {
      const last = attempt === attempts;
      await this.settle();
      const r = await this.find(path);
      // A hover card left from the pointer's last position can cover the row and take the click:
      // move the pointer away first, and if the click still does not land, dismiss and try again.
      await this.page.mouse.move(0, 0);
      const clicked = await this.row(r)
        .click({ button: 'right', timeout: 5_000 })
        .then(
          () => true,
          () => false,
        );
      if (!clicked) {
        await this.page.keyboard.press('Escape');
        if (last) throw new Error(`could not right-click ${path.join(' › ')}: something kept covering the row`);
        continue;
      }
      await menu.waitFor();
      const entry = menu.getByRole('menuitem', { name: item, exact: true });
      const moved = (await this.find(path)).index !== r.index;
      const offered =
        !moved &&
        (await entry.waitFor({ timeout: 3_000 }).then(
          () => true,
          () => false,
        ));
      if (!offered) {
        const items = await menu
          .getByRole('menuitem')
          .evaluateAll((els) => els.map((e) => e.textContent?.trim() ?? ''));
        await this.page.keyboard.press('Escape');
        if (last)
          throw new Error(
            `the context menu of ${path.join(' › ')} has no "${item}"${moved ? ' (the row moved under the pointer)' : ''}; it offers: ${items.join(', ')}`,
          );
        continue;
      }
      if (attempt === 1) {
        await entry.click();
      } else {
        // The keyboard way, for a menu that did not take the click: arrow down to the item, Enter.
        const count = await menu.getByRole('menuitem').count();
        for (let i = 0; i <= count; i++) {
          await this.page.keyboard.press('ArrowDown');
          if (
            (
              await menu
                .locator('.action-item.focused')
                .first()
                .textContent()
                .catch(() => '')
            )?.trim() === item
          ) {
            await this.page.keyboard.press('Enter');
            break;
          }
        }
      }
      try {
        await menu.waitFor({ state: 'hidden', timeout: 2_000 });
        return;
      } catch (err) {
        if (last)
          throw new Error(`the context menu of ${path.join(' › ')} stayed open after choosing "${item}"`, {
            cause: err,
          });
        await this.page.keyboard.press('Escape');
      }
    }
  }

  /** Waits until the row at `path` is shown and its announced name satisfies `test`; returns that name. */
  async rowName(path: string[], test: (name: string) => boolean, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const row = await this.find(path, Math.max(deadline - Date.now(), 1)).catch(() => undefined);
      if (row && test(row.name)) return row.name;
      if (Date.now() > deadline)
        throw new Error(row ? `${path.join(' › ')} reads "${row.name}"` : `no row ${path.join(' › ')} in the tree`);
      await this.page.waitForTimeout(200);
    }
  }

  /**
   * Clicks the row at `path` if it is collapsed, and waits until it shows as expanded. Rows move
   * while the tree fills in (watches deliver them, sorted), so the row is found afresh each time.
   */
  async expand(path: string[], timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let clickedAt = 0;
    for (;;) {
      const r = await this.find(path, Math.max(deadline - Date.now(), 1));
      if (r.expanded === true) return;
      if (r.expanded === undefined) throw new Error(`${path.join(' › ')} cannot be expanded`);
      if (Date.now() > deadline) throw new Error(`${path.join(' › ')} did not expand within ${timeoutMs / 1000} s`);
      if (Date.now() - clickedAt > 2_000) {
        // As in contextMenu: a hover card may cover the row; a click that does not land is tried again.
        await this.page.mouse.move(0, 0);
        await this.row(r)
          .click({ timeout: 5_000 })
          .catch(() => this.page.keyboard.press('Escape'));
        clickedAt = Date.now();
      }
      await this.page.waitForTimeout(150);
    }
  }

  /**
   * The labels of the rows below `path`, once they stop saying "Loading…". Rows appear as watches
   * deliver them, so this waits until `until` accepts them (or time runs out, returning the last).
   */
  async children(
    path: string[],
    until: (labels: string[]) => boolean = () => true,
    timeoutMs = 30_000,
  ): Promise<string[]> {
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
    const tab = this.page
      .getByRole('tablist', { name: 'Active View Switcher' })
      .getByRole('tab', { name: new RegExp(`^${escape(name)}( \\(|$)`) });
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
    const input = this.page
      .getByRole('combobox', { name: /input/i })
      .or(this.page.locator('.quick-input-widget input'))
      .first();
    await input.waitFor();
    await input.fill(`>${title}`);
    const option = this.page.getByRole('option', { name: new RegExp(`^${escape(title)}`) }).first();
    await option.waitFor();
    await option.click();
  }

  /** What the status bar items say (their accessible names). */
  async statusBar(): Promise<string[]> {
    const items = this.page.getByRole('status').getByRole('button');
    return (
      await items.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? e.textContent ?? ''))
    ).filter(Boolean);
  }

  /** The messages of the notification toasts on screen. */
  async notifications(): Promise<string[]> {
    return this.page
      .locator('.notification-toast .notification-list-item')
      .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? e.textContent ?? ''));
  }

  /** The text of the visible lines of the active editor (or of the Output view's editor). */
  async editorText(where: 'editor' | 'output' = 'editor'): Promise<string> {
    const scope =
      where === 'editor'
        ? this.page.locator('.editor-group-container.active .monaco-editor')
        : this.page.locator('.panel .monaco-editor');
    return (await scope.first().locator('.view-lines').innerText()).replace(/\u00a0/g, ' ');
  }

  /**
   * The rows the active terminal shows, as a screen reader reads them (the test profile turns
   * screen reader support on: xterm then keeps an accessibility tree of its rows; without it the
   * terminal is only drawn on a canvas).
   */
  async terminalText(): Promise<string> {
    return this.page
      .locator('.terminal-wrapper.active .xterm-accessibility-tree, .terminal-wrapper.active .xterm-rows')
      .first()
      .innerText();
  }

  /** Polls the active terminal until its text satisfies `test`; returns the text. */
  async waitForTerminal(test: (text: string) => boolean, what: string, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let text = '';
    for (;;) {
      text = await this.terminalText().catch(() => text);
      if (test(text)) return text;
      if (Date.now() > deadline)
        throw new Error(`the terminal did not show ${what} within ${timeoutMs / 1000} s; it shows:\n${text}`);
      await this.page.waitForTimeout(250);
    }
  }

  // ---- menus, quick input, notifications, dialogs -------------------------------------------

  /** The open quick pick's option whose accessible name matches, clicked. */
  async pickOption(name: RegExp, timeoutMs = 30_000): Promise<void> {
    const option = this.page.locator('.quick-input-widget').getByRole('option', { name }).first();
    await option.waitFor({ timeout: timeoutMs });
    await option.click();
  }

  /**
   * Clicks a status bar item and picks an option of the menu it opens. A click that lands while the
   * item re-renders (its text follows sync and debug state) opens nothing: try again, as a person would.
   */
  async statusMenu(item: string, option: RegExp, attempts = 3): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await this.statusItem(item).click();
      try {
        await this.pickOption(option, 10_000);
        return;
      } catch (err) {
        if (attempt >= attempts) throw err;
        await this.page.keyboard.press('Escape');
      }
    }
  }

  /** The input box of a quick input by its accessible name (its title or prompt). */
  inputBox(name: string | RegExp): Locator {
    return this.page.locator('.quick-input-widget').getByRole('textbox', { name });
  }

  /** Waits for a notification toast whose text matches, and returns its text. */
  async waitForNotification(text: RegExp, timeoutMs = 60_000): Promise<string> {
    const toast = this.notificationToast(text);
    await toast.waitFor({ timeout: timeoutMs });
    return (await toast.innerText()).replace(/\s+/g, ' ');
  }

  /** The notification toast whose text matches. */
  notificationToast(text: RegExp): Locator {
    return this.page.locator('.notification-toast').filter({ hasText: text }).first();
  }

  /** Clicks `button` on the notification toast whose text matches. */
  async notificationAction(text: RegExp, button: string): Promise<void> {
    await this.notificationToast(text).getByRole('button', { name: button, exact: true }).click();
  }

  /** Clears every notification (Notifications: Clear All Notifications), so later waits see new ones only. */
  async clearNotifications(): Promise<void> {
    await this.runCommand('Notifications: Clear All Notifications');
  }

  /** Clicks `button` in the modal dialog whose message matches; returns the dialog's text (message and detail). */
  async dialogButton(message: RegExp, button: string, timeoutMs = 30_000): Promise<string> {
    const dialog = this.page.getByRole('dialog').filter({ hasText: message }).first();
    await dialog.waitFor({ timeout: timeoutMs });
    const text = (await dialog.innerText()).replace(/\s+/g, ' ');
    await dialog.getByRole('button', { name: button, exact: true }).click();
    await dialog.waitFor({ state: 'detached', timeout: 10_000 });
    return text;
  }

  /**
   * Opens a URI the way the editor opens a link handed to it (Developer: Open URL, which goes
   * through the editor's URL service to the extension's URI handler). The editor first asks whether
   * the extension may open it: answered Open.
   */
  async openUrl(uri: string): Promise<void> {
    await this.runCommand('Developer: Open URL');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(uri);
    await input.press('Enter');
    await this.dialogButton(/extension to open this URI\?/, 'Open');
  }

  /** What the editor's clipboard holds (the page may read it: harness/browser.ts). */
  clipboard(): Promise<string> {
    return this.page.evaluate(() => navigator.clipboard.readText());
  }

  /** A status bar item by the start of its accessible name (e.g. "Devlane session"). */
  statusItem(prefix: string): Locator {
    return this.page
      .getByRole('status')
      .getByRole('button', { name: new RegExp(`^${escape(prefix)}`) })
      .first();
  }

  /** Waits until a status bar item whose name starts with `prefix` reads something `test` accepts. */
  async waitForStatus(prefix: string, test: (label: string) => boolean, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = (await this.statusBar()).filter((l) => l.startsWith(prefix));
      const hit = seen.find(test);
      if (hit !== undefined) return hit;
      if (Date.now() > deadline)
        throw new Error(
          `the status bar did not show the expected "${prefix}…" within ${timeoutMs / 1000} s; it shows: ${seen.join(' | ') || '(no such item)'}`,
        );
      await this.page.waitForTimeout(150);
    }
  }

  /** Waits until no status bar item's name starts with `prefix`. */
  async waitForNoStatus(prefix: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = (await this.statusBar()).filter((l) => l.startsWith(prefix));
      if (seen.length === 0) return;
      if (Date.now() > deadline)
        throw new Error(`the status bar still shows ${seen.join(' | ')} after ${timeoutMs / 1000} s`);
      await this.page.waitForTimeout(200);
    }
  }

  // ---- the editor ------------------------------------------------------------------------------

  /** Opens a workspace file with Quick Open (Ctrl+P), as a person types its path. */
  async openFile(relativePath: string): Promise<void> {
    const name = relativePath.split('/').pop()!;
    const folder = relativePath.split('/').slice(-2, -1)[0];
    await this.page.keyboard.press('Control+P');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(relativePath);
    await this.page
      .locator('.quick-input-widget')
      .getByRole('option', { name: new RegExp(`^${escape(name)}${folder ? ` ${escape(folder)}` : ''}`) })
      .first()
      .waitFor({ timeout: 30_000 });
    await input.press('Enter');
    await this.page
      .getByRole('tab', { name: new RegExp(`^${escape(name)}`) })
      .first()
      .waitFor({ timeout: 30_000 });
    await this.activeEditor().locator('.view-lines').waitFor();
  }

  /** The editor that has focus in the active editor group. */
  activeEditor(): Locator {
    return this.page.locator('.editor-group-container.active .monaco-editor').first();
  }

  /** Find and Replace (Ctrl+H) in the active editor: replaces every match of `find`; returns how many there were ("1 of 1"). */
  async replaceAll(find: string, replacement: string): Promise<string> {
    await this.activeEditor().locator('.view-lines').click();
    await this.page.keyboard.press('Control+H');
    const findBox = this.page.getByRole('textbox', { name: 'Find', exact: true });
    await findBox.waitFor();
    await findBox.fill(find);
    await this.page.getByRole('textbox', { name: 'Replace', exact: true }).fill(replacement);
    const count = this.page.locator('.find-widget .matchesCount');
    await this.page.waitForFunction(() =>
      /\bof\b|No results/.test(document.querySelector('.find-widget .matchesCount')?.textContent ?? ''),
    );
    const matches = await count.innerText();
    if (/No results/.test(matches)) throw new Error(`"${find}" is not in the editor`);
    await this.page.getByRole('button', { name: /^Replace All/ }).click();
    await this.page.keyboard.press('Escape');
    return matches;
  }

  /** Puts the cursor on `line` (Go to Line, Ctrl+G). */
  async goToLine(line: number): Promise<void> {
    await this.activeEditor().locator('.view-lines').click();
    await this.page.keyboard.press('Control+G');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(`:${line}`);
    await input.press('Enter');
  }

  /**
   * The rows of the Problems view (opened with the Command Palette), as a screen reader reads them:
   * a file row ("app.py ... 1 problem") and one per problem with its message, source and position.
   */
  async problems(): Promise<string[]> {
    await this.runCommand('View: Focus Problems');
    const view = this.page.locator('.markers-panel');
    await view.waitFor({ timeout: 10_000 });
    return view
      .locator('.monaco-list-row')
      .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? e.textContent ?? ''));
  }

  /**
   * A fix of a problem in the Problems view, as a person picks it: the row's light bulb ("Show
   * fixes"), then the fix by its title in the menu it opens. Returns the titles the menu offered.
   */
  async problemFix(problem: RegExp, title: RegExp): Promise<string[]> {
    // Nothing else open over it (a Command Palette left by an earlier look at the Problems view).
    await this.page.keyboard.press('Escape');
    if (!(await this.page.locator('.markers-panel').isVisible())) await this.runCommand('View: Focus Problems');
    const row = this.page
      .locator('.markers-panel .monaco-list-row')
      .filter({ has: this.page.locator('.marker-message', { hasText: problem }) })
      .first();
    await row.waitFor({ timeout: 30_000 });
    await row.hover();
    await row.getByRole('button', { name: 'Show fixes' }).click();
    const items = this.page.locator('.context-view .monaco-menu').getByRole('menuitem');
    await items.first().waitFor({ timeout: 15_000 });
    const offered = await items.evaluateAll((els) => els.map((e) => (e.textContent ?? '').trim()));
    const pick = items.filter({ hasText: title }).first();
    if ((await pick.count()) === 0) {
      await this.page.keyboard.press('Escape');
      throw new Error(`the problem's fixes have none matching ${title}; offered: ${offered.join(' | ')}`);
    }
    await pick.click();
    // The fix edits the file: its tab shows unsaved changes (a click the menu lost changes nothing).
    await this.page.locator('.editor-group-container .tab.dirty').first().waitFor({ timeout: 10_000 });
    return offered;
  }

  /** Saves the active editor (Ctrl+S) and waits until its tab no longer shows unsaved changes. */
  async save(): Promise<void> {
    await this.page.keyboard.press('Control+S');
    await this.page
      .locator('.editor-group-container.active .tab.active.dirty')
      .waitFor({ state: 'detached', timeout: 30_000 });
  }

  /** Waits for the next page this workbench opens (Open in Browser, openExternal), while `action` runs. */
  async popup(action: () => Promise<void>, timeoutMs = 30_000): Promise<Page> {
    const opened = this.page.context().waitForEvent('page', { timeout: timeoutMs });
    await action();
    const page = await opened;
    await page.waitForLoadState();
    return page;
  }
}
