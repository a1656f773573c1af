// The Clusters view's model, read through the extension's API while the real VS Code renders it:
// the sandbox's contexts, and the demo shop's namespaces under the current one.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { devlaneApi } from './extension.inside';
import { eventually, test } from './runner';

test('the Clusters view lists the sandbox contexts, the current one first', async () => {
  await vscode.commands.executeCommand('workbench.view.extension.devlane');
  const { explorer } = await devlaneApi();
  const labels = await eventually(() => explorer.getChildren().map((n) => n.label), (l) => l.length >= 3);
  assert.deepEqual([...labels].sort(), ['sandbox-admin', 'sandbox-alice', 'sandbox-bob']);
  assert.equal(labels[0], 'sandbox-alice');
});

test('the current context lists the namespaces shop and shop-plain', async () => {
  const { explorer } = await devlaneApi();
  const alice = explorer.getChildren().find((n) => n.label === 'sandbox-alice');
  assert.ok(alice, 'sandbox-alice is listed');
  const names = await eventually(
    () => explorer.getChildren(alice).map((n) => n.label),
    (l) => l.includes('shop') && l.includes('shop-plain'),
  );
  assert.ok(names.includes('shop') && names.includes('shop-plain'), `namespaces shown: ${names.join(', ')}`);
});
