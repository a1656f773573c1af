// What the status bar item shows in each session state.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commands } from '../../../src/core/contributions';
import { ActiveSessions } from '../../../src/sessionview/active';
import { sessionViews } from '../../../src/sessionview/sessions';
import { developOffer, statusBarView, type StatusInputs } from '../../../src/sessionview/status';
import { copy, lease, now, record, stoodStill } from './fixtures';

const ref = { context: 'dev', namespace: 'shop', session: 'alice-ratings' };

function inputs(
  o: {
    phase?: 'starting' | 'live' | 'ending';
    ready?: boolean;
    svcState?: 'starting' | 'live';
  } & Partial<StatusInputs> = {},
): StatusInputs {
  const active = new ActiveSessions();
  const e = active.starting(ref, 'ratings');
  if (o.phase !== 'starting') active.live(ref, { dispose() {}, onDidLose: () => ({ dispose() {} }) });
  if (o.phase === 'ending') active.ending(ref);
  const [view] = sessionViews({
    expired: stoodStill,
    ...ref,
    me: 'alice',
    now,
    records: [
      record('alice-ratings', {
        participants: ['alice', 'bob'],
        services: [
          { service: 'ratings', owner: 'alice', state: o.svcState },
          { service: 'catalog', owner: 'bob' },
        ],
      }),
    ],
    leases: [lease('alice-ratings', 'alice', 1), lease('alice-ratings', 'bob', 1)],
    deployments: [copy('ratings', 'alice-ratings', o.ready ?? true)],
  });
  return { active: e, view, me: 'alice', lease: 'ok', sync: { state: 'idle' }, debug: 'detached', ...o };
}

describe('session status bar item', () => {
  it('is hidden with no session and no service mapped to the workspace', () => {
    assert.equal(
      statusBarView({
        active: undefined,
        view: undefined,
        me: 'alice',
        lease: undefined,
        sync: { state: 'idle' },
        debug: 'detached',
      }),
      undefined,
    );
  });

  it('offers quietly to develop the one service the workspace maps to', () => {
    const offer = developOffer(['ratings'], { context: 'dev', namespace: 'shop' });
    const v = statusBarView({
      active: undefined,
      view: undefined,
      me: 'alice',
      lease: undefined,
      sync: { state: 'idle' },
      debug: 'detached',
      offer,
    })!;
    assert.equal(v.text, '$(play) Devlane: develop ratings');
    assert.equal(v.severity, 'ok');
    assert.equal(v.command?.command, commands.developService);
    assert.deepEqual(v.command?.arguments, [{ context: 'dev', namespace: 'shop', service: 'ratings' }]);
    assert.match(v.tooltip, /\*\*ratings\*\*/);
    assert.match(v.accessibleLabel, /develop ratings in a routed session, in dev \/ shop/);
  });

  it('offers a pick when the workspace maps to several services', () => {
    const offer = developOffer(['web', 'catalog', 'web'], { context: 'dev', namespace: 'shop' });
    const v = statusBarView({
      active: undefined,
      view: undefined,
      me: 'alice',
      lease: undefined,
      sync: { state: 'idle' },
      debug: 'detached',
      offer,
    })!;
    assert.equal(v.text, '$(play) Devlane: develop catalog or web…');
    assert.deepEqual(v.command?.arguments, [{ context: 'dev', namespace: 'shop', services: ['catalog', 'web'] }]);
  });

  it('names the services it offers, and counts the rest when there are many', () => {
    const text = (services: string[]) =>
      statusBarView({
        active: undefined,
        view: undefined,
        me: 'alice',
        lease: undefined,
        sync: { state: 'idle' },
        debug: 'detached',
        offer: developOffer(services, { context: 'dev', namespace: 'shop' }),
      })!.text;
    assert.equal(text(['web', 'catalog', 'ratings']), '$(play) Devlane: develop catalog, ratings or web…');
    assert.equal(text(['a', 'b', 'c', 'd', 'e']), '$(play) Devlane: develop a, b or 3 more…');
  });

  it('offers nothing without configured services or a context to work in', () => {
    assert.equal(developOffer([], { context: 'dev', namespace: 'shop' }), undefined);
    assert.equal(developOffer(undefined, { context: 'dev', namespace: 'shop' }), undefined);
    assert.equal(developOffer(['ratings'], undefined), undefined);
  });

  it('hides the offer while a session is active', () => {
    const v = statusBarView(inputs({ offer: developOffer(['ratings'], { context: 'dev', namespace: 'shop' }) }))!;
    assert.doesNotMatch(v.text, /develop/);
    assert.match(v.text, /alice-ratings/);
  });

  it('spins while the session starts', () => {
    const v = statusBarView(inputs({ phase: 'starting' }))!;
    assert.equal(v.text, '$(loading~spin) alice-ratings: starting on ratings');
    assert.equal(v.accessibleLabel, 'Devlane session alice-ratings is starting on ratings');
  });

  it('shows the session, my services, sync and debug state when all is well', () => {
    const v = statusBarView(inputs())!;
    assert.equal(v.text, '$(broadcast) alice-ratings: ratings $(sync) idle');
    assert.equal(v.severity, 'ok');
    assert.equal(v.accessibleLabel, 'Devlane session alice-ratings, your services ratings, sync idle');
    assert.equal(v.command?.command, commands.sessionActions);
    const busy = statusBarView(inputs({ sync: { state: 'syncing' }, debug: 'paused' }))!;
    assert.equal(busy.text, '$(broadcast) alice-ratings: ratings $(sync~spin) syncing $(debug-pause) paused');
  });

  it('has a tooltip whose links open the panel and the routed URL, copy the key, stop and leave', () => {
    const { tooltip } = statusBarView(inputs())!;
    const links = [...tooltip.matchAll(/\[([^\]]+)\]\(command:([\w.]+)\?([^)]*)\)/g)].map((m) => ({
      title: m[1],
      command: m[2],
      args: JSON.parse(decodeURIComponent(m[3])),
    }));
    assert.deepEqual(
      links.map((l) => `${l.title} → ${l.command}`),
      [
        'Open Panel → devlane.openSessionPanel',
        'Open Routed URL → devlane.openRoutedUrl',
        'Copy Route Key → devlane.copyRouteKey',
        'Copy Join Link → devlane.copyJoinLink',
        'Take Over Service → devlane.takeOverService',
        'Stop → devlane.stopSession',
        'Leave → devlane.leaveSession',
      ],
    );
    for (const l of links) assert.deepEqual(l.args, [ref]);
    assert.match(tooltip, /Participants: alice, bob/);
  });

  it('turns to the error colour when my live copy is not Ready, and to the warning colour while it is being set up or my Lease is late', () => {
    const notReady = statusBarView(inputs({ ready: false }))!;
    assert.equal(notReady.severity, 'error');
    assert.match(notReady.text, /^\$\(error\) alice-ratings: ratings/);
    assert.match(notReady.tooltip, /ratings: the copy is not Ready; requests with your route key fail until it is/);
    assert.equal(statusBarView(inputs({ ready: false, svcState: 'starting' }))!.severity, 'warning');
    const late = statusBarView(inputs({ lease: 'late' }))!;
    assert.equal(late.severity, 'warning');
    assert.match(late.accessibleLabel, /your Lease could not be renewed lately/);
  });

  it('turns to the error colour when my Lease expired or sync failed', () => {
    assert.equal(statusBarView(inputs({ lease: 'lost' }))!.severity, 'error');
    const failed = statusBarView(inputs({ sync: { state: 'failed', message: 'disk full' } }))!;
    assert.equal(failed.severity, 'error');
    assert.equal(failed.text, '$(error) alice-ratings: ratings $(sync-ignored) sync failed');
    assert.match(failed.tooltip, /sync failed: disk full/);
  });

  it("turns to the error colour while a copy's program has exited, naming the service and its error", () => {
    const v = statusBarView(
      inputs({ troubles: [{ service: 'ratings', exitCode: 1, error: "SyntaxError: Unexpected token ')'" }] }),
    )!;
    assert.equal(v.severity, 'error');
    assert.equal(v.text, '$(error) alice-ratings: ratings $(sync) idle ratings exited');
    assert.match(
      v.tooltip,
      /ratings: the program exited .*code 1.*: SyntaxError: Unexpected token .*; the next save restarts it/,
    );
    assert.match(v.accessibleLabel, /ratings: the program exited \(code 1\)/);
    assert.equal(statusBarView(inputs({ troubles: [] }))!.severity, 'ok');
  });

  it('spins while stopping or leaving', () => {
    assert.match(statusBarView(inputs({ phase: 'ending' }))!.text, /^\$\(loading~spin\) alice-ratings/);
  });
});
