// Route propagation in the editor, on the demo shop's own catalog (the workspace is a copy of
// sandbox/demo/src): Devlane: Check Route Propagation marks its call to ratings (it passes the
// route headers on only depending on DROP_ROUTE_HEADERS), the quick fix rewrites the call, and the
// diagnostic goes.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { devlaneApi } from './extension.inside';
import { eventually, test } from './runner';

const ours = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Devlane route');

test("Check Route Propagation marks catalog's call to ratings, and its quick fix makes the call forward the headers", async () => {
  await devlaneApi();
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the demo shop is open as the workspace');
  const uri = vscode.Uri.joinPath(folder.uri, 'catalog/app.py');
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(doc);
  try {
    await vscode.commands.executeCommand('devlane.checkRoutePropagation');
    const [diagnostic] = await eventually(
      () => ours(uri),
      (d) => d.length > 0,
    );
    assert.match(diagnostic.message, /^catalog calls another service here without the route headers/);
    assert.equal(doc.getText(diagnostic.range), 'urllib.request.Request');
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      uri,
      diagnostic.range,
    );
    const fix = actions.find((a) => a.title === 'Forward x-devlane-route and baggage from the incoming request');
    assert.ok(fix?.edit, `the quick fix is offered; actions: ${actions.map((a) => a.title).join(', ')}`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.match(doc.getText(), /headers=\{\*\*headers, \*\*\{h: incoming\.get\(h\) for h in/);
    const left = await eventually(
      () => ours(uri),
      (d) => d.length === 0,
    );
    assert.deepEqual(left, [], 'the diagnostic went once the call forwards the headers');
  } finally {
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('workbench.action.files.revert');
  }
});

test('Check Route Propagation with no file open checks every mapped service folder: only catalog has a call that loses the key', async () => {
  await devlaneApi();
  const folder = vscode.workspace.workspaceFolders![0];
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  const file = (p: string) => vscode.Uri.joinPath(folder.uri, p);
  await vscode.commands.executeCommand('devlane.checkRoutePropagation');
  const catalog = await eventually(
    () => ours(file('catalog/app.py')),
    (d) => d.length > 0,
  );
  const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(file('catalog/app.py')));
  const callLine = text.split('\n').findIndex((l) => l.includes('urllib.request.Request('));
  assert.deepEqual(
    catalog.map((d) => [d.range.start.line, d.severity]),
    [[callLine, vscode.DiagnosticSeverity.Warning]],
  );
  assert.deepEqual(ours(file('web/server.js')), []);
  assert.deepEqual(ours(file('ratings/server.js')), []);
});
