import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StartStages, stageSummary } from '../../../src/core/session/start-stages';

describe('start stages', () => {
  it('shows the stage under way with its time so far and latest step, and each finished stage with its time', () => {
    let t = 0;
    const s = new StartStages(() => t);
    s.report('Checking access');
    t = 400;
    assert.equal(s.message(), 'checks 0.4 s… — Checking access');
    for (const p of ['plan', 'preflight', 'dryRun']) s.mark(p);
    assert.equal(s.current, 'copy');
    t = 1_500;
    s.report('Create Deployment ratings-dl-s');
    assert.equal(s.message(), 'checks 0.4 s ✓ · copy 1.1 s… — Create Deployment ratings-dl-s');
    s.mark('record'); // a finer phase inside the copy stage: no change of stage
    assert.equal(s.current, 'copy');
    t = 3_500;
    s.mark('copyReady');
    s.mark('copyReady'); // twice (a second wait-ready): the first counts
    s.mark('routeStart');
    t = 5_200;
    s.mark('routeReady');
    s.mark('routeLive');
    assert.equal(s.current, undefined);
    assert.equal(s.message(), 'checks 0.4 s ✓ · copy 3.1 s ✓ · route 1.7 s ✓');
  });

  it('shows the route and the copy under way together, each timed from its own start', () => {
    let t = 0;
    const s = new StartStages(() => t);
    t = 500;
    for (const p of ['plan', 'preflight', 'dryRun', 'record', 'routeStart']) s.mark(p);
    t = 1_700;
    s.report('Wait for the router to be Ready');
    assert.equal(s.message(), 'checks 0.5 s ✓ · copy 1.2 s… · route 1.2 s… — Wait for the router to be Ready');
    t = 2_300;
    s.mark('routeReady');
    assert.equal(s.current, 'copy');
    t = 3_000;
    assert.equal(s.message(), 'checks 0.5 s ✓ · copy 2.5 s… · route 1.8 s ✓ — Wait for the router to be Ready');
    t = 3_100;
    s.mark('copyReady');
    s.mark('routeLive');
    assert.equal(s.message(), 'checks 0.5 s ✓ · copy 2.6 s ✓ · route 1.8 s ✓');
  });

  it('sums a finished start’s phases into its stages, and says nothing for one that did not go live', () => {
    // Istio: the route after the copy.
    assert.equal(
      stageSummary({
        plan: 120,
        preflight: 180,
        confirm: 2_000,
        dryRun: 300,
        record: 50,
        copyReady: 3_050,
        routeStart: 0,
        routeReady: 1_700,
        routeLive: 30,
      }),
      'checks 2.6 s · copy 3.1 s · route 1.7 s',
    );
    // The router: the route while the copy starts.
    assert.equal(
      stageSummary({
        plan: 120,
        preflight: 180,
        dryRun: 200,
        record: 50,
        routeStart: 20,
        routeReady: 1_800,
        copyReady: 800,
        routeLive: 30,
      }),
      'checks 0.5 s · copy 2.7 s · route 1.8 s (route set up alongside the copy)',
    );
    // An older shape: no route marks; the route is what followed the copy.
    assert.equal(
      stageSummary({ plan: 100, preflight: 100, dryRun: 200, record: 50, copyReady: 3_050, routeLive: 1_700 }),
      'checks 0.4 s · copy 3.1 s · route 1.7 s',
    );
    assert.equal(stageSummary({ plan: 120, preflight: 180 }), undefined);
    assert.equal(stageSummary({ plan: 120, preflight: 180, dryRun: 100, record: 50, routeStart: 10 }), undefined);
  });
});
