// What the session panel shows in each session state, computed in plain Node from what the watch,
// the record, this window and the activity board hold.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from '../../../src/core/resources';
import { readRecord } from '../../../src/core/session/record';
import type { ServiceSyncStats } from '../../../src/sessionview/activity';
import type { CopyObservation, KubeEvent } from '../../../src/sessionview/panel-cluster';
import {
  changeText,
  curlLine,
  maskKey,
  type PanelActive,
  type PanelInputs,
  panelModel,
} from '../../../src/sessionview/panel-model';
import { sessionViews } from '../../../src/sessionview/sessions';
import { ago, copy, lease, now, record, stoodStill, traceResult } from './fixtures';

const ref = { context: 'dev', namespace: 'shop', session: 's1' };
const key = 'key-s1-0123456789abcdefghij';

function recordWithUndo() {
  const cm = record('s1', {
    participants: ['alice', 'bob'],
    services: [
      { service: 'ratings', owner: 'alice' },
      { service: 'catalog', owner: 'bob' },
    ],
  });
  const state = readRecord(cm);
  state.services[0].undo = [
    {
      kind: 'delete',
      ref: { type: 'service', namespace: 'shop', name: 'ratings-dl-s1' },
      summary: 'Delete Service ratings-dl-s1',
    },
    {
      kind: 'delete',
      ref: { type: 'deployment', namespace: 'shop', name: 'ratings-dl-s1' },
      summary: 'Delete Deployment ratings-dl-s1',
    },
    {
      kind: 'edit',
      ref: { type: 'configMap', namespace: 'shop', name: 'ratings-devlane-router' },
      edit: { kind: 'router.removeRoute', session: 's1' },
      summary: "Remove session s1's route from the router",
    },
  ];
  return { cm: { ...cm, data: { 'session.json': JSON.stringify(state) } }, state };
}

function pod(name: string, o: { ready?: boolean; restarts?: number; waiting?: string; phase?: string } = {}): Pod {
  return {
    metadata: { name, namespace: 'shop' },
    status: {
      phase: o.phase ?? 'Running',
      containerStatuses: [
        {
          name: 'app',
          ready: o.ready ?? true,
          restartCount: o.restarts ?? 0,
          ...(o.waiting
            ? { state: { waiting: { reason: o.waiting, message: 'back-off 10s restarting failed container' } } }
            : {}),
        },
      ],
    },
  } as Pod;
}

function event(name: string, reason: string, secondsAgo: number, type = 'Normal'): KubeEvent {
  return {
    metadata: { name: `${name}.${reason}` },
    involvedObject: { kind: 'Pod', name },
    type,
    reason,
    message: `${reason} happened`,
    count: 1,
    lastTimestamp: ago(secondsAgo),
  };
}

function inputs(
  o: Partial<PanelInputs> & {
    ready?: boolean;
    aliveBob?: boolean;
    aliveAlice?: boolean;
    active?: PanelActive | undefined;
    noRecord?: boolean;
  } = {},
): PanelInputs {
  const { cm, state } = recordWithUndo();
  const leases = [
    ...(o.aliveAlice === false ? [lease('s1', 'alice', 600)] : [lease('s1', 'alice', 1)]),
    ...(o.aliveBob === false ? [lease('s1', 'bob', 600)] : [lease('s1', 'bob', 1)]),
  ];
  const [view] = sessionViews({
    expired: stoodStill,
    ...ref,
    me: o.me ?? 'alice',
    now,
    records: o.noRecord ? [] : [cm],
    leases,
    deployments: [copy('ratings', 's1', o.ready ?? true), copy('catalog', 's1', true)],
  });
  const copies = new Map<string, CopyObservation>([
    [
      'ratings',
      {
        pods: [pod('ratings-dl-s1-abc')],
        events: [event('ratings-dl-s1-abc', 'Started', 30), event('ratings-dl-s1-abc', 'Pulled', 40)],
      },
    ],
    ['catalog', { pods: [pod('catalog-dl-s1-def')], events: [] }],
  ]);
  return {
    ref,
    view: o.noRecord ? undefined : view,
    record: o.noRecord ? undefined : state,
    active: 'active' in o ? o.active : { phase: 'live', joined: true },
    me: o.me ?? 'alice',
    lease: o.lease ?? 'ok',
    copies: 'copies' in o ? o.copies : copies,
    sync: o.sync ?? [],
    debug: o.debug ?? [],
    debugCommand: o.debugCommand ?? true,
    namespaceServices: o.namespaceServices ?? ['catalog', 'ratings', 'web'],
    trace: o.trace,
    now,
  };
}

describe('session panel model', () => {
  it('masks the route key to its last four characters, everywhere it shows', () => {
    const s = panelModel(inputs());
    assert.equal(maskKey(key), '••••ghij');
    assert.equal(s.maskedKey, '••••ghij');
    const shown = JSON.stringify(s);
    assert.ok(!shown.includes(key), 'the full key never reaches the page unasked');
    assert.equal(s.routing.header, 'x-devlane-route: ••••ghij');
    assert.equal(s.routing.baggage, 'baggage: devlane=••••ghij');
  });

  it('gives a ready curl line: through the routed URL when it is open, else from inside the cluster with both headers', () => {
    const noProxy = panelModel(inputs());
    assert.equal(
      noProxy.routing.curl,
      "curl -sS -H 'x-devlane-route: ••••ghij' -H 'baggage: devlane=••••ghij' http://ratings.shop.svc.cluster.local/",
    );
    assert.match(noProxy.routing.curlNote, /inside the cluster/);
    assert.equal(noProxy.routing.proxyUrl, undefined);

    const proxied = panelModel(
      inputs({ active: { phase: 'live', joined: true, proxyUrl: 'http://127.0.0.1:41234/', proxyService: 'web' } }),
    );
    assert.equal(proxied.routing.curl, 'curl -sS http://127.0.0.1:41234/');
    assert.equal(proxied.routing.proxyService, 'web');
    assert.equal(proxied.tryDefault, 'web', 'Try a request targets the service the routed URL was opened for');
    assert.deepEqual(
      curlLine({ namespace: 'shop', target: 'web', key }).curl,
      `curl -sS -H 'x-devlane-route: ${key}' -H 'baggage: devlane=${key}' http://web.shop.svc.cluster.local/`,
    );
  });

  it('shows a live session: participants with their services, strategy, pods, events and what it changed', () => {
    const s = panelModel(inputs());
    assert.equal(s.exists, true);
    assert.equal(s.headline, 'Live: 2 services taken over');
    assert.deepEqual(s.problems, []);
    assert.deepEqual(s.participants, [
      { name: 'alice', alive: true, me: true, services: ['ratings'] },
      { name: 'bob', alive: true, me: false, services: ['catalog'] },
    ]);
    assert.equal(s.routingStrategy, 'router');
    const ratings = s.services.find((x) => x.service === 'ratings')!;
    assert.equal(ratings.stateText, 'live; the copy is Ready');
    assert.deepEqual(ratings.pods, [{ name: 'ratings-dl-s1-abc', phase: 'Running', ready: true, restarts: 0 }]);
    assert.deepEqual(
      ratings.events.map((e) => `${e.age} ${e.reason}`),
      ['30s ago Started', '40s ago Pulled'],
    );
    assert.deepEqual(ratings.changes, [
      'Created Service ratings-dl-s1. On stop: Delete Service ratings-dl-s1',
      'Created Deployment ratings-dl-s1. On stop: Delete Deployment ratings-dl-s1',
      "Changed ConfigMap ratings-devlane-router. On stop: Remove session s1's route from the router",
    ]);
    assert.equal(s.tryDefault, 'ratings', 'without a routed URL, the first taken-over service');
    assert.deepEqual(s.tryTargets, ['ratings', 'catalog', 'web']);
    for (const a of Object.values(s.actions)) assert.equal(a.enabled, true);
  });

  it('shows a session that is starting, before the watch lists it', () => {
    const s = panelModel(inputs({ noRecord: true, active: { phase: 'starting', starting: 'ratings', joined: false } }));
    assert.equal(s.headline, 'Starting ratings…');
    assert.equal(s.maskedKey, '');
    assert.equal(s.actions.copyRouteKey.enabled, false);
    assert.equal(s.actions.stop.enabled, false);
    assert.deepEqual(s.services, []);
  });

  it('warns when my copy is not Ready, and says why a pod is failing', () => {
    const notReady = panelModel(inputs({ ready: false }));
    assert.deepEqual(notReady.problems, [{ severity: 'warning', text: 'ratings: live; the copy is not Ready' }]);
    const crashing = panelModel(
      inputs({
        ready: false,
        copies: new Map([
          [
            'ratings',
            {
              pods: [pod('ratings-dl-s1-abc', { ready: false, restarts: 4, waiting: 'CrashLoopBackOff' })],
              events: [event('ratings-dl-s1-abc', 'BackOff', 5, 'Warning')],
            },
          ],
        ]),
      }),
    );
    const r = crashing.services.find((x) => x.service === 'ratings')!;
    assert.equal(r.severity, 'error');
    assert.equal(r.stateText, 'live; the copy is failing: CrashLoopBackOff: back-off 10s restarting failed container');
    assert.deepEqual(r.pods[0], {
      name: 'ratings-dl-s1-abc',
      phase: 'Running',
      ready: false,
      restarts: 4,
      reason: 'CrashLoopBackOff: back-off 10s restarting failed container',
    });
    assert.equal(crashing.problems[0].severity, 'error');
    assert.equal(r.debugAction.enabled, false, 'no debugging a copy that is not Ready');
  });

  it('shows sync statistics, and a failed sync as an error', () => {
    const stats = (o: Partial<ServiceSyncStats>): ServiceSyncStats => ({
      service: 'ratings',
      state: 'idle',
      localRoot: '/ws/ratings',
      remotePath: '/app',
      lastSyncAt: now.getTime() - 12_000,
      lastDurationMs: 38,
      pending: 0,
      carried: 7,
      failures: [],
      ...o,
    });
    const ok = panelModel(inputs({ sync: [stats({})] })).services.find((x) => x.service === 'ratings')!;
    assert.deepEqual(ok.sync, [
      'Sync: idle; /ws/ratings → /app',
      'Last batch: 12s ago, landed in 38 ms',
      'Carried 7 file changes since the sync started; 0 pending',
      'Failures: none',
    ]);
    assert.equal(ok.syncSeverity, 'ok');
    const failed = panelModel(
      inputs({
        sync: [
          stats({
            state: 'error',
            message: 'exec refused',
            failures: [{ at: now.getTime() - 3000, message: 'tar: disk full' }],
          }),
        ],
      }),
    );
    const r = failed.services.find((x) => x.service === 'ratings')!;
    assert.equal(r.syncSeverity, 'error');
    assert.equal(r.sync[3], 'Failures: 1; latest 3s ago: tar: disk full');
    assert.deepEqual(failed.problems, [
      { severity: 'error', text: 'ratings: Failures: 1; latest 3s ago: tar: disk full' },
    ]);
    const none = panelModel(inputs()).services[0];
    assert.deepEqual(none.sync, []);
  });

  it('shows the debugger paused, and disables Debug with a reason while the command does not exist', () => {
    const paused = panelModel(
      inputs({ debug: [{ service: 'ratings', state: 'paused', runtime: 'node', where: 'server.js:42' }] }),
    ).services.find((x) => x.service === 'ratings')!;
    assert.equal(paused.debug, 'Debugger: paused at server.js:42 (node)');
    assert.equal(panelModel(inputs()).services[0].debug, 'Debugger: not attached');
    const noCommand = panelModel(inputs({ debugCommand: false })).services[0];
    assert.equal(noCommand.debugAction.enabled, false);
    assert.match(noCommand.debugAction.reason!, /devlane\.debugService/);
  });

  it('shows an expired participant, and my own Lease trouble', () => {
    const s = panelModel(inputs({ aliveBob: false }));
    assert.deepEqual(
      s.participants.find((p) => p.name === 'bob'),
      { name: 'bob', alive: false, me: false, services: ['catalog'] },
    );
    assert.match(s.problems.map((p) => p.text).join('\n'), /bob's Lease expired/);
    const lost = panelModel(inputs({ lease: 'lost' }));
    assert.deepEqual(lost.problems[0], {
      severity: 'error',
      text: 'Your Lease expired: the session may be collected. Check the connection to the cluster.',
    });
  });

  it('shows an orphaned session (every Lease expired) as expired', () => {
    const s = panelModel(inputs({ aliveAlice: false, aliveBob: false, active: undefined }));
    assert.match(s.headline, /^Expired/);
  });

  it('shows a joined participant: their own services, and the other owner’s copy', () => {
    const s = panelModel(inputs({ me: 'bob' }));
    assert.deepEqual(s.participants.find((p) => p.me)?.services, ['catalog']);
    assert.equal(s.services.find((x) => x.service === 'catalog')!.mine, true);
    assert.equal(s.services.find((x) => x.service === 'ratings')!.mine, false);
    assert.equal(s.actions.leave.enabled, true);
  });

  it('offers Join when I am not in the session, and cannot leave it', () => {
    const s = panelModel(inputs({ me: 'carol', active: undefined }));
    assert.match(s.headline, /You are not in this session/);
    assert.equal(s.actions.leave.enabled, false);
    assert.equal(s.actions.openRoutedUrl.enabled, true);
  });

  it('says plainly when the session is gone', () => {
    const s = panelModel(inputs({ noRecord: true, active: undefined }));
    assert.equal(s.exists, false);
    assert.match(s.headline, /^Not found in dev \/ shop/);
    assert.equal(s.actions.stop.enabled, false);
    assert.equal(s.actions.stop.reason, 'The session no longer exists.');
  });

  it('after Stop, offers no action the gone session cannot take, and does not point at one', () => {
    const s = panelModel(inputs({ noRecord: true, active: undefined }));
    const offered = Object.entries(s.actions)
      .filter(([, a]) => !a.hidden)
      .map(([name]) => name);
    assert.deepEqual(offered, []);
    assert.equal(s.servicesNote, 'None: the session no longer exists.');
  });

  it('points at Take Over Another Service only while it can be used', () => {
    const cm = record('s1', { participants: ['alice'], services: [] });
    const [view] = sessionViews({
      expired: stoodStill,
      ...ref,
      me: 'alice',
      now,
      records: [cm],
      leases: [lease('s1', 'alice', 1)],
      deployments: [],
    });
    const base = { ...inputs(), view, record: readRecord(cm) };
    assert.equal(panelModel(base).servicesNote, 'None yet. Use Take Over Another Service.');
    const ending = panelModel({ ...base, active: { phase: 'ending', joined: true } });
    assert.equal(ending.actions.takeOver.enabled, false);
    assert.equal(ending.servicesNote, 'None.');
    assert.equal(panelModel(inputs()).servicesNote, undefined, 'no note while services are listed');
  });

  it('says the pods are being read before the first read, and why a read failed', () => {
    assert.match(panelModel(inputs({ copies: undefined })).services[0].podsNote ?? '', /Reading/);
    const failed = panelModel(
      inputs({ copies: new Map([['ratings', { pods: [], events: [], error: 'pods is forbidden' }]]) }),
    ).services.find((x) => x.service === 'ratings')!;
    assert.equal(failed.podsNote, "Could not read the copy's pods: pods is forbidden");
  });

  it('renders every kind of undo step', () => {
    assert.equal(
      changeText({
        kind: 'release-router',
        namespace: 'shop',
        service: 'ratings',
        summary: 'Remove the router unless another session uses it',
      }),
      "Put Devlane's router in front of Service ratings. On stop: Remove the router unless another session uses it",
    );
    assert.equal(
      changeText({
        kind: 'edit',
        ref: { type: 'virtualService', namespace: 'shop', name: 'ratings-devlane' },
        edit: { kind: 'istio.removeRoute', session: 's1' },
        summary: "Remove session s1's route",
      }),
      "Changed VirtualService ratings-devlane. On stop: Remove session s1's route",
    );
  });

  it('offers Trace Route, and shows the last trace as a graph and its sentence, broken where a hop dropped the key', () => {
    assert.deepEqual(panelModel(inputs()).actions.traceRoute, { enabled: true });
    assert.equal(panelModel(inputs()).trace, undefined, 'no trace run yet: nothing shown');
    const entry = { service: 'web', reason: 'named with --entry' };
    const running = panelModel(
      inputs({ trace: { state: 'running', path: '/api/products', entry, at: now.getTime() } }),
    );
    assert.equal(running.trace?.status, 'running');
    assert.equal(running.trace?.title, 'Tracing /api/products entering through web (named with --entry)…');
    assert.deepEqual(running.actions.traceRoute, { enabled: false, reason: 'A trace of this session is under way.' });
    const at = now.getTime() - 120_000;
    const broken = panelModel(
      inputs({ trace: { state: 'done', path: '/api/products', entry, at, result: traceResult(true) } }),
    );
    assert.equal(broken.trace?.status, 'broken');
    assert.equal(broken.trace?.title, 'Last trace (2m ago): /api/products entering through web (named with --entry)');
    assert.equal(
      broken.trace?.graph,
      'entry → web (key ✓) → catalog (key ✓) → ratings (key ✗) → ratings copy (not reached)',
    );
    assert.equal(broken.trace?.sentence, 'catalog received the key but called ratings without it');
    assert.deepEqual(broken.actions.traceRoute, { enabled: true });
    const ok = panelModel(
      inputs({
        trace: {
          state: 'done',
          path: '/',
          entry: { service: 'web', ingress: 'shop', reason: 'Ingress shop sends / to it' },
          at,
          result: traceResult(false),
        },
      }),
    );
    assert.equal(ok.trace?.status, 'ok');
    assert.equal(ok.trace?.graph, 'Ingress shop → web (key ✓) → catalog (key ✓) → ratings copy (key ✓)');
    const failed = panelModel(
      inputs({ trace: { state: 'failed', path: '/', entry, at, error: 'No Ready router pod' } }),
    );
    assert.equal(failed.trace?.status, 'failed');
    assert.equal(failed.trace?.sentence, 'No Ready router pod');
    assert.deepEqual(failed.trace?.nodes, []);
  });

  it('does not offer Trace Route for a session that is gone', () => {
    assert.equal(panelModel(inputs({ noRecord: true, active: undefined })).actions.traceRoute.hidden, true);
  });
});
