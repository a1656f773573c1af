// Why an end-to-end test cannot run here, or false. The e2e suite needs real VS Code (see
// harness/tools.ts; on CI it is installed, elsewhere the reason says how) and a cluster with the
// demo shop: the sandbox `npm test -- e2e` starts, the real cluster (the copies under
// out/test/real, test/helpers/target.ts), or any cluster DEVLANE_TEST_KUBECONFIG names with the
// DEVLANE_TEST_CONTEXT_* contexts. Under CI=true a missing prerequisite fails the run instead of
// skipping (test/helpers/prerequisite.ts).
import { clusterName } from '../helpers/target';
import { contexts, kubectl } from '../helpers/kubectl';
import { prerequisite } from '../helpers/prerequisite';
import { findTools } from './harness/index';

let shopMissing: string | false | undefined;
/** Whether the cluster under test has the demo shop in shop and shop-plain, asked as its admin. */
function demoShopMissing(): string | false {
  shopMissing ??= (() => {
    for (const ns of ['shop', 'shop-plain']) {
      const r = kubectl(['get', 'deployment', 'web', 'catalog', 'ratings', 'stock', '-n', ns, '-o', 'name'], {
        context: contexts.admin,
        timeoutMs: 30_000,
      });
      if (r.code !== 0)
        return `the ${clusterName} has no demo shop in ${ns} (sandbox/demo/manifests), or no context ${contexts.admin}: ${r.stderr.trim()}`;
    }
    return false;
  })();
  return shopMissing;
}

export function e2eSkipReason(needs: { demoShop?: boolean } = {}): string | false {
  if (!process.env.DEVLANE_TEST_KUBECONFIG)
    return prerequisite(
      'no cluster: run it with `npm test -- e2e`, which starts the sandbox (or set DEVLANE_TEST_KUBECONFIG)',
    );
  if (needs.demoShop) {
    const missing = prerequisite(demoShopMissing());
    if (missing) return missing;
  }
  if (process.env.CI === 'true') return false; // missing tools are installed by the test, and a failure to install fails it
  const tools = findTools();
  return 'missing' in tools ? tools.missing : false;
}
