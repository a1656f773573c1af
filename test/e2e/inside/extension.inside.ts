// The extension as VS Code sees it: it activates, and every command it declares is registered.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { DevlaneApi } from '../../../src/extension';
import { test } from './runner';

export const extensionId = 'devlane.devlane';

export async function devlaneApi(): Promise<DevlaneApi> {
  const ext = vscode.extensions.getExtension<DevlaneApi>(extensionId);
  assert.ok(ext, `${extensionId} is installed`);
  return ext.activate();
}

test('the extension activates', async () => {
  const api = await devlaneApi();
  assert.equal(vscode.extensions.getExtension(extensionId)?.isActive, true);
  assert.equal(typeof api.explorer.getChildren, 'function');
});

test('every command in package.json is registered', async () => {
  await devlaneApi();
  const declared: { command: string }[] = vscode.extensions.getExtension(extensionId)!.packageJSON.contributes.commands;
  const registered = new Set(await vscode.commands.getCommands(true));
  const missing = declared.map((c) => c.command).filter((c) => !registered.has(c));
  assert.deepEqual(missing, [], 'declared commands without a handler');
  assert.ok(declared.length > 0);
});

test('Devlane: Refresh runs from the command palette id', async () => {
  await vscode.commands.executeCommand('devlane.refresh');
});
