// The in-editor suite: the module VS Code's extension host loads as extensionTestsPath (built to
// out/test/e2e/inside/index.js). It runs in code-server's VS Code server (test/e2e/in-editor.test.ts)
// and in VS Code desktop through @vscode/test-electron (test/e2e/run.ts).
import './extension.inside';
import './clusters.inside';
import './route.inside';
import './debug.inside';
import { runAll } from './runner';

export function run(): Promise<void> {
  return runAll();
}
