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
    s.mark('copyReady'); // twice (a second wait-ready): counted once
    t = 5_200;
    s.mark('routeLive');
    assert.equal(s.current, undefined);
    assert.equal(s.message(), 'checks 0.4 s ✓ · copy 3.1 s ✓ · route 1.7 s ✓');
  });

  it('sums a finished start’s phases into its stages, and says nothing for one that did not reach the route', () => {
    assert.equal(
      stageSummary({
        plan: 120,
        preflight: 180,
        confirm: 2_000,
        dryRun: 300,
        record: 50,
        copyReady: 3_050,
        routeLive: 1_730,
      }),
      'checks 2.6 s · copy 3.1 s · route 1.7 s',
    );
    assert.equal(stageSummary({ plan: 120, preflight: 180 }), undefined);
  });
});
