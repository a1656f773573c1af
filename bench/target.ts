// Points the shared test helpers (kubectl, the shop, the load generator) at the benchmark's
// cluster: the sandbox `npm run bench` started, or the cluster DEVLANE_BENCH_KUBECONFIG names (the
// real cluster's kubeconfig, for instance). The contexts are found by their suffix (`…-admin`,
// `…-alice`, `…-bob`), the shape both local clusters write. Imported first, before any helper.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

const kubeconfig = process.env.DEVLANE_BENCH_KUBECONFIG;
if (!kubeconfig) throw new Error('DEVLANE_BENCH_KUBECONFIG is not set: run a benchmark with `npm run bench -- NAME`');
process.env.DEVLANE_TEST_KUBECONFIG = kubeconfig;
if (process.env.DEVLANE_BENCH_SANDBOX === '1') process.env.DEVLANE_TEST_SANDBOX = '1';

const names: string[] = (
  (parse(readFileSync(kubeconfig, 'utf8')) as { contexts?: { name: string }[] })?.contexts ?? []
).map((c) => c.name);
for (const who of ['admin', 'alice', 'bob']) {
  const name = names.find((n) => n.endsWith(`-${who}`));
  if (!name)
    throw new Error(
      `${kubeconfig} has no context named …-${who}: the benchmarks run as the users the sandbox and the real cluster create (admin, alice, bob)`,
    );
  process.env[`DEVLANE_TEST_CONTEXT_${who.toUpperCase()}`] = name;
}

export const benchKubeconfig = kubeconfig;
/** Which cluster the figures are from, for their labels. */
export const benchCluster =
  process.env.DEVLANE_BENCH_SANDBOX === '1'
    ? 'sandbox'
    : (names.find((n) => n.endsWith('-admin')) ?? 'cluster').replace(/-admin$/, '');
