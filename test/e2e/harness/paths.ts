// Where things are: the repository (found from this bundled file), the e2e tools cache, and
// the folder screenshots and logs go to.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { onRealCluster } from '../../helpers/target';

function findRepo(): string {
  for (let dir = __dirname; dir !== resolve(dir, '..'); dir = resolve(dir, '..')) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'devlane') return dir;
  }
  throw new Error(`cannot find the Devlane repository above ${__dirname}`);
}

/** The repository root. */
export const REPO = findRepo();

/** code-server and Node 24 live here, outside the project's node_modules (gitignored). */
export const TOOLS_DIR = process.env.DEVLANE_E2E_TOOLS
  ? resolve(process.env.DEVLANE_E2E_TOOLS)
  : join(REPO, '.devlane/e2e-tools');

/** Screenshots of failed steps, and the logs of the servers a test started: one folder per cluster, as both run at once. */
export const RESULTS_DIR = join(REPO, onRealCluster ? 'test-results/e2e-real' : 'test-results/e2e');

/** The packaged extension that `npm run package` writes. */
export const VSIX = join(REPO, 'devlane.vsix');
