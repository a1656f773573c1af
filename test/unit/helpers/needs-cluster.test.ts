// An integration file run with no cluster: on a developer's machine its tests skip, saying why; on
// CI (CI=true) the missing cluster fails the run, as every other missing prerequisite does
// (test/helpers/prerequisite.ts). Runs a built integration file as `npm test` would, without
// DEVLANE_TEST_KUBECONFIG.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO } from '../../helpers/sandbox';

/** A file whose tests all say `needsCluster`; built with the unit tests by scripts/build.mjs. */
const integrationFile = join(REPO, 'out/test/integration/cluster/listing.test.js');

function runWithoutCluster(ci: boolean): { code: number; output: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, ...(ci ? { CI: 'true' } : {}) };
  if (!ci) delete env.CI;
  // NODE_TEST_CONTEXT would make the inner run report to this one instead of exiting with its status.
  for (const k of [
    'DEVLANE_TEST_KUBECONFIG',
    'DEVLANE_TEST_SANDBOX',
    'DEVLANE_TEST_REAL_KUBECONFIG',
    'NODE_TEST_CONTEXT',
  ])
    delete env[k];
  const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', integrationFile], {
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status ?? 1, output: `${r.stdout}${r.stderr}` };
}

describe(
  'needsCluster when DEVLANE_TEST_KUBECONFIG is unset',
  { skip: existsSync(integrationFile) ? false : `${integrationFile} is not built (npm run build)` },
  () => {
    it("skips the tests, saying why, on a developer's machine", () => {
      const r = runWithoutCluster(false);
      assert.equal(r.code, 0, r.output);
      assert.match(
        r.output,
        /﹣ cluster listing .*# DEVLANE_TEST_KUBECONFIG is not set/,
        'the suite is shown as skipped, with the reason',
      );
      assert.match(r.output, /ℹ pass 0\n[\s\S]*ℹ fail 0\n/);
    });

    it('fails the run under CI=true, naming what is missing', () => {
      const r = runWithoutCluster(true);
      assert.notEqual(r.code, 0, r.output);
      assert.match(r.output, /DEVLANE_TEST_KUBECONFIG is not set[^\n]*On CI every prerequisite is installed/);
    });
  },
);
