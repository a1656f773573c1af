// Stream Logs on the sandbox and on a real Kubernetes cluster (test/helpers/target.ts): a container
// that exits and is restarted keeps being followed, each instance's lines arrive once, with
// Devlane's notice in between.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeClusters } from '../../../src/cluster/clusters';
import type { LogSource } from '../../../src/core/log-lines';
import { WorkloadLogs } from '../../../src/logs/workload-logs';
import { needsCluster, openClusters, TestNamespace, developerContext, until } from '../../helpers/cluster';

// Prints "run <id> line <n>" ten times a second, then exits with 1 so the kubelet restarts it.
const script = `const id=Date.now().toString(36);let n=0;const t=setInterval(()=>{console.log('run '+id+' line '+(++n));if(n===8){clearInterval(t);process.exit(1)}},100)`;

describe('log follow', { skip: needsCluster.skip }, () => {
  let clusters: KubeClusters;
  let ns: TestNamespace;

  before(async () => {
    clusters = openClusters();
    ns = await TestNamespace.create('dl-logs');
  });
  after(async () => {
    clusters?.dispose();
    await ns?.dispose();
  });

  it('follows a container across its restart, without repeating lines', { timeout: 180_000 }, async () => {
    await ns.createNodePod('crasher', script, { app: 'crasher' });
    const lines: string[] = [];
    const notices: string[] = [];
    const logs = new WorkloadLogs(
      clusters.connection(developerContext),
      { namespace: ns.name, pods: { selector: { matchLabels: { app: 'crasher' } } }, tailLines: 100 },
      {
        line: (source: LogSource, text: string) => lines.push(`${source.pod}/${source.container} ${text}`),
        notice: (text: string) => notices.push(text),
      },
    );
    try {
      logs.start();
      const runs = () => new Set(lines.map((l) => /run (\w+)/.exec(l)?.[1]).filter(Boolean));
      await until('lines from two runs of the container', () => runs().size >= 2, 150_000);
      assert.ok(
        lines.every((l) => l.startsWith('crasher/app run ')),
        `every line is prefixed and ours: ${lines.slice(0, 3).join(' | ')}`,
      );
      assert.equal(new Set(lines).size, lines.length, 'no line was delivered twice');
      const firstRun = [...runs()][0];
      const firstRunLines = lines
        .filter((l) => l.includes(`run ${firstRun} `))
        .map((l) => Number(/line (\d+)/.exec(l)?.[1]));
      assert.deepEqual(
        firstRunLines,
        [...firstRunLines].sort((a, b) => a - b),
        'lines of one run arrive in order',
      );
      assert.ok(
        notices.some((n) => /restarted/.test(n)),
        `a restart notice was shown: ${notices.join(' | ')}`,
      );
    } finally {
      logs.dispose();
    }
  });
});
