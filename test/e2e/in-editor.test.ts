// Runs the in-editor suite (test/e2e/inside/) inside a real VS Code: the VS Code server that
// code-server carries, opened in Chromium with the test payload. The extension host exits with
// the suite's status; this test asserts it is 0 and prints what the suite reported.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ensureTools, leftovers, REPO, runInEditorTests } from './harness/index';
import { e2eSkipReason } from './skip';
import { cli } from '../helpers/session';
import { contexts } from '../helpers/kubectl';

/** The sessions test/e2e/inside/debug.inside.ts starts in shop-plain. */
const insideSessions = ['inside-debug', 'inside-debug-node'];

test('the in-editor suite passes in the VS Code server', { skip: e2eSkipReason({ demoShop: true }) }, async () => {
  const say = (line: string) => console.log(`  ${line}`);
  const tools = await ensureTools(say);
  if ('missing' in tools) throw new Error(tools.missing);
  const testsPath = join(REPO, 'out/test/e2e/inside/index.js');
  assert.ok(existsSync(testsPath), `${testsPath} is built (scripts/build.mjs)`);
  const tmp = mkdtempSync('/tmp/devlane-in-editor-');
  const results = join(tmp, 'results.txt');
  cpSync(join(REPO, 'sandbox/demo/src'), join(tmp, 'workspace'), { recursive: true });
  try {
    const started = performance.now();
    const run = await runInEditorTests({
      tools,
      extensionPath: REPO,
      testsPath,
      workspace: join(tmp, 'workspace'),
      kubeconfig: process.env.DEVLANE_TEST_KUBECONFIG,
      // Only catches a hang: the debug tests may each wait up to two minutes for a breakpoint.
      timeoutMs: 420_000,
      env: {
        DEVLANE_INSIDE_RESULTS: results,
        DEVLANE_TEST_CONTEXT_ADMIN: contexts.admin,
        DEVLANE_TEST_CONTEXT_ALICE: contexts.alice,
        DEVLANE_TEST_CONTEXT_BOB: contexts.bob,
      },
      say,
    });
    const reported = existsSync(results) ? readFileSync(results, 'utf8') : '(the suite wrote no results)\n';
    console.log(
      `${reported.replace(/^/gm, '    ')}  in-editor suite: ${((performance.now() - started) / 1000).toFixed(1)} s including server start (measured, not asserted)`,
    );
    assert.equal(
      run.exitCode,
      0,
      `the in-editor suite reported ${run.exitCode}; its results:\n${reported}\nthe server log:\n${run.log.slice(-3000)}`,
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    // A suite cut short (timeout, crash) cannot stop the sessions it started: stop them here, so
    // that the next tests find the demo namespaces as they were. Absent sessions are fine.
    for (const name of insideSessions) cli(['-n', 'shop-plain', 'stop', name]);
  }
  assert.deepEqual(leftovers(), [], 'every process the test started has ended');
});
