// Stopping the real cluster (upstream Kubernetes, `npm run cluster`) leaves nothing on the machine.
// scripts/test.mjs runs this file on its own, after every other file has used the cluster, because
// it stops that cluster.
import '../helpers/target';
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { leftovers } from '../../cluster/leftovers';
import { onRealCluster } from '../helpers/target';

const pid = Number(process.env.DEVLANE_TEST_REAL_CLUSTER_PID);
const state = process.env.DEVLANE_TEST_REAL_CLUSTER_STATE;
const skip = !onRealCluster
  ? 'about the real cluster itself (runs on its copy of the suite)'
  : !pid || !state
    ? 'the real cluster was not started by the test runner'
    : false;

describe('stopping the real cluster', { skip }, () => {
  it('stops every process and leaves no container, mount, network namespace, veth, bridge, nftables table, cgroup or state dir', async () => {
    assert.ok(
      leftovers(state!).length > 0,
      'while it runs, leftovers() sees the running cluster (so the check can fail)',
    );
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 300_000;
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    assert.equal(alive(), false, 'the cluster program exited');
    assert.deepEqual(leftovers(state!), []);
  });
});
