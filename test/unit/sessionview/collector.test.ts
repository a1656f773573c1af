import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Emitter } from '../../../src/core/events';
import { nullLogger, type Logger } from '../../../src/core/logger';
import { type CollectorOptions, OrphanCollector } from '../../../src/sessionview/collector';
import type { ParticipantView, SessionView } from '../../../src/sessionview/sessions';

function view(name: string, participants: ParticipantView[], namespace = 'shop'): SessionView {
  return {
    context: 'kind-dev',
    namespace,
    session: name,
    routeKey: 'k',
    createdBy: participants[0]?.name ?? 'x',
    createdAt: '2026-11-22T00:00:00Z',
    participants,
    services: [],
    orphaned: participants.every((p) => !p.alive),
    departed: participants.some((p) => p.alive) ? participants.filter((p) => !p.alive && !p.me).map((p) => p.name) : [],
    mine: participants.some((p) => p.me),
  };
}

function setup(views: SessionView[], production?: Pick<CollectorOptions, 'production' | 'ask'>) {
  const changed = new Emitter<void>();
  let current = views;
  const calls: string[] = [];
  let clock = 0;
  const logs: string[] = [];
  const logger: Logger = {
    ...nullLogger,
    info: (m: string) => logs.push(m),
    warn: (m: string) => logs.push(`WARN ${m}`),
  };
  const collector = new OrphanCollector(
    { onDidChange: changed.event, sessions: () => current },
    (context, namespace) => ({
      gc: async (_signal, opts) => (
        calls.push(`${context}/${namespace}${opts?.confirmed ? ' (confirmed)' : ''}`),
        [`stopped session in ${namespace}`]
      ),
    }),
    logger,
    { minIntervalMs: 60_000, now: () => clock, ...production },
  );
  return {
    collector,
    calls,
    logs,
    set: (v: SessionView[]) => ((current = v), changed.fire()),
    tick: (ms: number) => (clock += ms),
  };
}

describe('OrphanCollector', () => {
  it('collects a namespace once a participant other than me has an expired Lease, and logs what was done', async () => {
    const t = setup([
      view('alice-ratings', [
        { name: 'alice', alive: true, me: true },
        { name: 'bob', alive: true, me: false },
      ]),
    ]);
    await t.collector.idle();
    assert.deepEqual(t.calls, [], 'nothing expired: nothing to do');
    t.set([
      view('alice-ratings', [
        { name: 'alice', alive: true, me: true },
        { name: 'bob', alive: false, me: false },
      ]),
    ]);
    await t.collector.idle();
    assert.deepEqual(t.calls, ['kind-dev/shop']);
    assert.deepEqual(t.logs, ['Collected in kind-dev / shop: stopped session in shop']);
    t.collector.dispose();
  });

  it('never collects for this window itself: its own heartbeat renews its Lease', async () => {
    const t = setup([
      view('alice-ratings', [
        { name: 'alice', alive: false, me: true },
        { name: 'bob', alive: true, me: false },
      ]),
    ]);
    await t.collector.idle();
    assert.deepEqual(t.calls, []);
    t.collector.dispose();
  });

  it('tries a namespace at most once a minute, and each namespace on its own', async () => {
    const orphan = (ns: string) => view(`s-${ns}`, [{ name: 'carol', alive: false, me: false }], ns);
    const t = setup([orphan('shop')]);
    await t.collector.idle();
    t.set([orphan('shop'), orphan('shop-plain')]);
    await t.collector.idle();
    assert.deepEqual(t.calls, ['kind-dev/shop', 'kind-dev/shop-plain']);
    t.tick(30_000);
    t.set([orphan('shop')]);
    await t.collector.idle();
    assert.equal(t.calls.length, 2, 'not again within a minute');
    t.tick(31_000);
    t.set([orphan('shop')]);
    await t.collector.idle();
    assert.deepEqual(t.calls.slice(2), ['kind-dev/shop']);
    t.collector.dispose();
  });

  it('never collects on its own where it looks like production: it asks, once for each set of sessions', async () => {
    const asked: string[] = [];
    let answer = false;
    const orphan = (name: string, ns = 'payments-prod') => view(name, [{ name: 'carol', alive: false, me: false }], ns);
    const t = setup([orphan('s1')], {
      production: (_c, ns) => (ns.includes('prod') ? `namespace "${ns}" matches "*prod*"` : undefined),
      ask: async (w) => (asked.push(`${w.namespace}: ${w.sessions.join(',')} (${w.reason})`), answer),
    });
    await t.collector.idle();
    assert.deepEqual(asked, ['payments-prod: s1 (namespace "payments-prod" matches "*prod*")']);
    assert.deepEqual(t.calls, [], 'declined: nothing collected');
    assert.match(t.logs.join('\n'), /Not collecting s1 in kind-dev \/ payments-prod on its own/);
    t.tick(120_000);
    t.set([orphan('s1')]);
    await t.collector.idle();
    assert.equal(asked.length, 1, 'not asked again about the same sessions');
    answer = true;
    t.set([orphan('s1'), orphan('s2')]);
    await t.collector.idle();
    assert.deepEqual(asked.slice(1), ['payments-prod: s1,s2 (namespace "payments-prod" matches "*prod*")']);
    assert.deepEqual(t.calls, ['kind-dev/payments-prod (confirmed)']);
    t.tick(120_000);
    t.set([orphan('s1', 'shop')]);
    await t.collector.idle();
    assert.deepEqual(t.calls.slice(1), ['kind-dev/shop'], 'elsewhere, as before: without asking');
    t.collector.dispose();
  });
});
