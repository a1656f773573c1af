// Informers under the sandbox's fault injection: after dropped watches, an API outage and expired
// history, the cache must equal what the server has, and recovery must not need a human.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { InformerLease } from '../../../src/cluster/api';
import type { KubeClusters } from '../../../src/cluster/clusters';
import type { Service } from '../../../src/core/resources';
import {
  fault,
  MemoryLogger,
  needsSandbox,
  openClusters,
  TestNamespace,
  developerContext,
  until,
} from '../../helpers/cluster';

describe('informer recovery', { skip: needsSandbox.skip }, () => {
  let clusters: KubeClusters;
  let ns: TestNamespace;
  let services: InformerLease<Service>;
  const logger = new MemoryLogger();

  const cached = () => [...services.values()].map((s) => s.metadata.name).sort();
  const equalsServer = async (what: string) => {
    const server = await until(`the server list (${what})`, () => ns.serviceNames());
    await until(
      `the cache to equal the server after ${what}`,
      () => JSON.stringify(cached()) === JSON.stringify(server) && services.status.phase === 'synced',
      60_000,
    );
    assert.deepEqual(cached(), server);
  };

  before(async () => {
    // Short back-off cap so recovery is quick; the schedule itself is unit-tested.
    clusters = openClusters(logger, { batchMs: 5 });
    ns = await TestNamespace.create('dl-recover');
    for (const n of ['a', 'b', 'c']) await ns.createService(n, { app: n });
    services = clusters.connection(developerContext).watch('Service', ns.name);
    await until('the first list', () => services.status.hasSynced && services.size === 3);
  });
  after(async () => {
    services?.dispose();
    clusters?.dispose();
    await ns?.dispose();
  });

  it('recovers from dropped watches and sees changes made after the drop', async () => {
    await fault({ kind: 'drop-watches' });
    await ns.createService('after-drop', { app: 'x' });
    await ns.deleteService('a');
    await equalsServer('dropped watches');
  });

  it('recovers from the API being down, reporting the outage meanwhile', async () => {
    const phases: string[] = [];
    const sub = services.onDidChangeStatus((s) => phases.push(s.phase));
    try {
      await fault({ kind: 'drop-watches' });
      await fault({ kind: 'api-down', ms: 3000 });
      await until('the informer to notice the outage', () => phases.includes('error'), 20_000);
      assert.ok(services.size > 0, 'the cache is kept while the server is down');
      await until('the API to come back', () => ns.serviceNames(), 30_000);
      await ns.createService('after-outage', { app: 'y' });
      await equalsServer('the API outage');
    } finally {
      sub.dispose();
    }
  });

  it('relists when the watch history expired (410 Gone) and reconciles deletions', async () => {
    const before = logger.lines.filter((l) => l.includes('410 Gone')).length;
    await ns.deleteService('b');
    await ns.createService('after-expiry', { app: 'z' });
    await fault({ kind: 'expire-history' });
    await fault({ kind: 'drop-watches' });
    await until(
      'a relist after 410 Gone',
      () => logger.lines.filter((l) => l.includes('410 Gone')).length > before,
      30_000,
    );
    await equalsServer('expired history');
  });
});
