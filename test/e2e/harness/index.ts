// The harness, as one module: what test/e2e/*.test.ts and scripts/demo.mjs use.
export { REPO, RESULTS_DIR, TOOLS_DIR, VSIX } from './paths';
export {
  ensureTools,
  findTools,
  installTools,
  missingTools,
  installCommand,
  type Tools,
  type ToolsWanted,
} from './tools';
export { endProcessTree, leftovers, spawnGroup, stopAll, type Spawned } from './processes';
export { freePort, quietSettings, startCodeServer, type CodeServer, type CodeServerOptions } from './code-server';
export { runInEditorTests, type InEditorResult, type InEditorRunOptions } from './vscode-server';
export { chromiumArgs, launchBrowser, newWorkbenchPage } from './browser';
export { Tree, Workbench, type TreeRow } from './workbench';
export { Steps, type StepTiming } from './steps';
export { EditorSession, type EditorSessionOptions } from './session';
