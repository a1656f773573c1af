// The Clusters view's model, read through the extension's API while the real VS Code renders it:
// the cluster's contexts, and the demo shop's namespaces under the current one.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { devlaneApi } from './extension.inside';
import { eventually, test } from './runner';

const admin = process.env.DEVLANE_TEST_CONTEXT_ADMIN ?? 'sandbox-admin';
const alice = process.env.DEVLANE_TEST_CONTEXT_ALICE ?? 'sandbox-alice';
const bob = process.env.DEVLANE_TEST_CONTEXT_BOB ?? 'sandbox-bob';

test("the Clusters view lists the cluster's contexts, the current one first", async () => {
  await vscode.commands.executeCommand('workbench.view.extension.devlane');
  const { explorer } = await devlaneApi();
  const labels = await eventually(
    () => explorer.getChildren().map((n) => n.label),
    (l) => l.length >= 3,
  );
  assert.deepEqual([...labels].sort(), [admin, alice, bob].sort());
  assert.equal(labels[0], alice);
});

test('the current context lists the namespaces shop and shop-plain', async () => {
  const { explorer } = await devlaneApi();
  const aliceRow = explorer.getChildren().find((n) => n.label === alice);
  assert.ok(aliceRow, `${alice} is listed`);
  const names = await eventually(
    () => explorer.getChildren(aliceRow).map((n) => n.label),
    (l) => l.includes('shop') && l.includes('shop-plain'),
  );
  assert.ok(names.includes('shop') && names.includes('shop-plain'), `namespaces shown: ${names.join(', ')}`);
});
