// The extension as VS Code sees it: it activates, and every command it declares is registered.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { DevlaneApi } from '../../../src/extension';
import { eventually, test } from './runner';

export const extensionId = 'devlane.devlane';

export async function devlaneApi(): Promise<DevlaneApi> {
  const ext = vscode.extensions.getExtension<DevlaneApi>(extensionId);
  assert.ok(ext, `${extensionId} is installed`);
  return ext.activate();
}

test("the extension activates and its Clusters view lists the kubeconfig's contexts", async () => {
  const api = await devlaneApi();
  assert.equal(vscode.extensions.getExtension(extensionId)?.isActive, true);
  const rows = await eventually(
    () => api.explorer.getChildren().map((n) => n.label),
    (l) => l.length > 0,
  );
  assert.ok(rows.includes(process.env.DEVLANE_TEST_CONTEXT_ALICE ?? 'sandbox-alice'), `rows: ${rows.join(', ')}`);
});

test('every command in package.json is registered', async () => {
  await devlaneApi();
  const declared: { command: string }[] = vscode.extensions.getExtension(extensionId)!.packageJSON.contributes.commands;
  const registered = new Set(await vscode.commands.getCommands(true));
  const missing = declared.map((c) => c.command).filter((c) => !registered.has(c));
  assert.deepEqual(missing, [], 'declared commands without a handler');
  assert.ok(declared.length > 0);
});

test('Devlane: Refresh re-reads the kubeconfig: the whole Clusters view is redrawn, with the same contexts', async () => {
  const { explorer } = await devlaneApi();
  const before = explorer.getChildren().map((n) => n.label);
  // A whole-tree change (no rows named) is what a reload sends; a watch's batch names its rows.
  let redrawn = false;
  const sub = explorer.onDidChange((rows) => (redrawn ||= rows === undefined));
  try {
    await vscode.commands.executeCommand('devlane.refresh');
    await eventually(
      () => redrawn,
      (r) => r,
    );
    assert.ok(redrawn, 'the Clusters view was redrawn from the kubeconfig');
  } finally {
    sub.dispose();
  }
  const after = await eventually(
    () => explorer.getChildren().map((n) => n.label),
    (l) => l.length >= before.length,
  );
  assert.deepEqual(after, before);
});
