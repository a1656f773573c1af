// Which cluster this test file runs against. `npm test` runs every integration and end-to-end file
// twice in one run: as built (out/test/…) against the sandbox, and as a copy under out/test/real/
// against the real cluster (upstream Kubernetes, `npm run cluster`). The runner gives each its
// kubeconfig; a copy finds out which it is from its own path and points the environment every
// helper reads (DEVLANE_TEST_KUBECONFIG, DEVLANE_TEST_SANDBOX, DEVLANE_TEST_CONTEXT_*) at the
// real cluster. Imported first by every helper that reads that environment.

import { sep } from 'node:path';

/** The folder of the real-cluster copies, below out/test/. */
export const REAL_DIR = 'real';

export const onRealCluster = (process.argv[1] ?? '').includes(`${sep}out${sep}test${sep}${REAL_DIR}${sep}`);

if (onRealCluster) {
  const kubeconfig = process.env.DEVLANE_TEST_REAL_KUBECONFIG;
  if (kubeconfig) process.env.DEVLANE_TEST_KUBECONFIG = kubeconfig;
  else delete process.env.DEVLANE_TEST_KUBECONFIG;
  delete process.env.DEVLANE_TEST_SANDBOX;
  const prefix = process.env.DEVLANE_TEST_REAL_CONTEXT_PREFIX ?? 'kube';
  process.env.DEVLANE_TEST_CONTEXT_ADMIN = `${prefix}-admin`;
  process.env.DEVLANE_TEST_CONTEXT_ALICE = `${prefix}-alice`;
  process.env.DEVLANE_TEST_CONTEXT_BOB = `${prefix}-bob`;
}

/** A short name of the cluster under test, for messages: "sandbox" or "real cluster". */
export const clusterName = onRealCluster
  ? 'real cluster'
  : process.env.DEVLANE_TEST_SANDBOX === '1'
    ? 'sandbox'
    : 'cluster';
