// Develop this service, the use case the editor and the CLI share (src/session/develop.ts), with
// its questions answered by a fake, the cluster replaced and the workspace a temporary folder:
// what is created, what is saved and what is synced for each answer.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { ClusterConnection } from '../../../src/cluster/api';
import type { Logger } from '../../../src/core/logger';
import { SessionError } from '../../../src/core/session/errors';
import type { Plan } from '../../../src/core/session/plan';
import { configFile, parseConfig, type ServiceSync } from '../../../src/core/sync/config';
import type { MappingProposal } from '../../../src/core/sync/propose';
import type { ServiceSyncStats } from '../../../src/sessionview/activity';
import {
  develop,
  type DevelopHost,
  type DevelopQuestions,
  type DevelopRequest,
  type MappingAnswer,
} from '../../../src/session/develop';
import type { StartOptions, StartResult } from '../../../src/session/sessions';
import type { ServiceSyncHandle, ServiceSyncRequest } from '../../../src/sync/service-sync';
import type { Syncer } from '../../../src/sync/syncer';

const quiet: Logger = { trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const conn = { objects: {}, context: { name: 'prod-eu', namespace: 'shop' } } as unknown as ClusterConnection;
const at = { conn, namespace: 'shop', logger: quiet };
const root = mkdtempSync(join(tmpdir(), 'devlane-develop-'));
after(() => rmSync(root, { recursive: true, force: true }));
let workspaces = 0;
const mapped = `${JSON.stringify({ version: 1, services: { ratings: { localPath: 'ratings', remotePath: '/app' } } })}\n`;
const proposal: MappingProposal = {
  localPath: 'ratings',
  remotePath: '/srv/ratings',
  reason: 'server.js on both sides',
  matched: 3,
};

/** A fake place: Sessions whose start asks the plan question (the place looks like production), a disk, and a sync. */
function place(
  opts: {
    config?: string;
    mappingAnswer?: MappingAnswer;
    cli?: boolean;
    applyPlan?: boolean;
    syncFails?: boolean;
  } = {},
) {
  const workspace = join(root, `ws${++workspaces}`);
  const configPath = join(workspace, configFile);
  mkdirSync(workspace);
  if (opts.config !== undefined) {
    mkdirSync(dirname(configPath));
    writeFileSync(configPath, opts.config);
  }
  const saved = () => (existsSync(configPath) ? readFileSync(configPath, 'utf8') : undefined);
  const asked: string[] = [];
  const created: StartOptions[] = [];
  const synced: ServiceSyncRequest[] = [];
  const lifecycle: string[] = [];
  const stats: ServiceSyncStats[] = [];
  const failures: string[] = [];
  let syncEnded = false;
  const questions: DevelopQuestions = {
    confirmPlan: async () => (asked.push('plan'), opts.applyPlan ?? true),
    confirmDeletes: async (service) => (asked.push(`deletes ${service}`), false),
    ...(opts.cli
      ? {}
      : {
          confirmMapping: async (service: string) => (
            asked.push(`mapping ${service}`),
            opts.mappingAnswer ?? 'no-sync'
          ),
        }),
  };
  const host: DevelopHost = {
    questions,
    sessions: (extra) => ({
      start: async (o: StartOptions) => {
        if (!(await extra.confirm!({} as Plan, 'the plan')))
          throw new SessionError('declined', 'The plan was not confirmed', 'Nothing was created.');
        created.push(o);
        return {
          session: o.session ?? 'me-ratings',
          service: o.service,
          routeKey: 'k',
          devService: `${o.service}-dl`,
          strategy: 'router',
          resumed: false,
          heartbeat: {} as StartResult['heartbeat'],
          phases: {},
        };
      },
    }),
    starting: () => lifecycle.push('starting'),
    startFailed: () => lifecycle.push('startFailed'),
    live: () => lifecycle.push('live'),
    sinks: { status: (s) => stats.push(s), failed: (e) => failures.push(e.message) },
    parts: {
      propose: async () => (asked.push('looked'), proposal),
      startSync: async (req) => {
        synced.push(req);
        if (opts.syncFails) throw new Error('no running copy');
        await req.confirmDeletes?.(
          { count: 30, paths: [], more: 0, pod: 'p', remotePath: '/app' },
          AbortSignal.timeout(1000),
        );
        const syncer = {
          current: { state: 'idle', pending: 0, carried: 0, failures: [] },
          onDidChangeStatus: () => ({ dispose: () => {} }),
        } as unknown as Syncer;
        return {
          syncer,
          mapping: parseConfig(saved()!).services[req.service],
          localRoot: join(workspace, 'ratings'),
          dispose: () => (syncEnded = true),
        } satisfies ServiceSyncHandle;
      },
      watchTrouble: () => ({ dispose: () => {} }),
    },
  };
  return {
    host,
    workspace,
    saved,
    request: { service: 'ratings', session: 'me-ratings', workspace } as DevelopRequest,
    asked,
    created,
    synced,
    lifecycle,
    stats,
    failures,
    ended: () => syncEnded,
  };
}

const signal = () => AbortSignal.timeout(10_000);

describe('develop this service', () => {
  it('creates nothing, and syncs nothing, when the plan is declined', async () => {
    const p = place({ config: mapped, applyPlan: false });
    await assert.rejects(
      develop(at, p.request, p.host, signal()),
      (e: unknown) => e instanceof SessionError && e.code === 'declined' && e.hint === 'Nothing was created.',
    );
    assert.deepEqual(p.created, []);
    assert.deepEqual(p.synced, []);
    assert.deepEqual(p.lifecycle, ['starting', 'startFailed']);
    assert.deepEqual(p.asked, ['plan']);
  });

  it('starts the session without sync when the proposed mapping is declined, and saves nothing', async () => {
    const p = place({ mappingAnswer: 'no-sync' });
    const d = await develop(at, p.request, p.host, signal());
    assert.equal(d?.sync, undefined);
    assert.equal(p.created.length, 1);
    assert.equal(p.created[0].sync, undefined);
    assert.deepEqual(p.synced, []);
    assert.equal(p.saved(), undefined);
    assert.deepEqual(p.asked, ['looked', 'mapping ratings', 'plan']);
    assert.deepEqual(p.lifecycle, ['starting', 'live']);
  });

  it('starts nothing when the mapping question is cancelled', async () => {
    const p = place({ mappingAnswer: 'cancel' });
    assert.equal(await develop(at, p.request, p.host, signal()), undefined);
    assert.deepEqual(p.created, []);
    assert.deepEqual(p.lifecycle, []);
  });

  it('saves a confirmed proposal, starts the copy with it and syncs it', async () => {
    const p = place({ mappingAnswer: { localPath: 'ratings', remotePath: '/srv/ratings' } });
    const d = await develop(at, p.request, p.host, signal());
    const saved = parseConfig(p.saved()!).services.ratings;
    assert.equal(saved.localPath, 'ratings');
    assert.equal(saved.remotePath, '/srv/ratings');
    assert.deepEqual(p.created[0].sync, saved);
    const handle = await d?.sync?.ready;
    assert.equal(handle?.localRoot, join(p.workspace, 'ratings'));
    assert.deepEqual(
      p.synced.map((r) => [r.namespace, r.session, r.service, r.workspaceFolder]),
      [['shop', 'me-ratings', 'ratings', p.workspace]],
    );
    // The deletions question names the service; the first status goes to the activity sink.
    assert.deepEqual(p.asked.slice(-1), ['deletes ratings']);
    assert.equal(p.stats[0]?.remotePath, '/srv/ratings');
    d?.sync?.dispose();
    assert.equal(p.ended(), true);
  });

  it("saves a Go module's mapping with action build, on a Go toolchain image named from its go.mod", async () => {
    const p = place({ mappingAnswer: { localPath: 'stock', remotePath: '/src' } });
    mkdirSync(join(p.workspace, 'stock'));
    writeFileSync(join(p.workspace, 'stock', 'go.mod'), 'module example.com/stock\n\ngo 1.26.1\n');
    const d = await develop(at, p.request, p.host, signal());
    const saved = parseConfig(p.saved()!).services.ratings;
    assert.deepEqual(
      [saved.action, saved.devImage, saved.build, saved.binary],
      ['build', 'golang:1.26', 'go build -o /tmp/devlane/bin/app .', '/tmp/devlane/bin/app'],
    );
    assert.deepEqual(p.created[0].sync, saved);
    d?.sync?.dispose();
  });

  it('uses the workspace mapping without asking for one', async () => {
    const p = place({ config: mapped });
    const d = await develop(at, p.request, p.host, signal());
    await d?.sync?.ready;
    assert.equal(p.asked.includes('mapping ratings'), false);
    assert.equal((p.created[0].sync as ServiceSync).remotePath, '/app');
    assert.equal(p.synced.length, 1);
  });

  it('without a mapping question (the CLI), starts an unmapped service without sync and looks at nothing', async () => {
    const p = place({ cli: true });
    const d = await develop(at, p.request, p.host, signal());
    assert.equal(d?.sync, undefined);
    assert.equal(p.created[0].sync, undefined);
    assert.deepEqual(p.asked, ['plan']);
  });

  it('passes the mapping but does not sync when detached, nor with noSync', async () => {
    const detached = place({ config: mapped });
    assert.equal((await develop(at, { ...detached.request, detach: true }, detached.host, signal()))?.sync, undefined);
    assert.equal(detached.created[0].sync?.remotePath, '/app');
    const unsynced = place({ config: mapped });
    assert.equal((await develop(at, { ...unsynced.request, noSync: true }, unsynced.host, signal()))?.sync, undefined);
    assert.equal(unsynced.created[0].sync, undefined);
  });

  it('starts no second sync of a service this window syncs already (a resumed session)', async () => {
    const p = place({ config: mapped });
    const d = await develop(at, p.request, { ...p.host, synced: (service) => service === 'ratings' }, signal());
    assert.equal(d?.sync, undefined);
    assert.deepEqual(p.synced, []);
    assert.equal(p.created[0].sync?.remotePath, '/app');
  });

  it('reports a sync that did not start, and keeps the session', async () => {
    const p = place({ config: mapped, syncFails: true });
    const d = await develop(at, p.request, p.host, signal());
    assert.equal(await d?.sync?.ready, undefined);
    assert.deepEqual(p.failures, ['no running copy']);
    assert.equal(p.stats[0]?.state, 'error');
    assert.deepEqual(p.lifecycle, ['starting', 'live']);
  });

  it('refuses an invalid config file before anything is created', async () => {
    const p = place({ config: '{"version": 2}' });
    await assert.rejects(develop(at, p.request, p.host, signal()), /devlane\.json: version/);
    assert.deepEqual(p.created, []);
    assert.deepEqual(p.lifecycle, []);
  });
});
