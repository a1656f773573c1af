// Why an end-to-end test cannot run here, or false. The e2e suite needs real VS Code (see
// harness/tools.ts; on CI it is installed, elsewhere the reason says how) and a cluster from
// the test runner (`npm test -- e2e` starts the sandbox with the demo shop).
import { onRealCluster } from '../helpers/target';
import { findTools } from './harness/index';

export function e2eSkipReason(needs: { demoShop?: boolean } = {}): string | false {
  if (!process.env.DEVLANE_TEST_KUBECONFIG) return 'no cluster: run it with `npm test -- e2e`, which starts the sandbox (or set DEVLANE_TEST_KUBECONFIG)';
  if (needs.demoShop && process.env.DEVLANE_TEST_SANDBOX !== '1' && !onRealCluster) return "needs the demo shop and the contexts of the sandbox or the real cluster; DEVLANE_TEST_KUBECONFIG names another cluster";
  if (process.env.CI === 'true') return false; // missing tools are installed, and a failure to install fails the suite
  const tools = findTools();
  return 'missing' in tools ? tools.missing : false;
}
