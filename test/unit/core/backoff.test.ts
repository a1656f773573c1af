import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff, sleep, watchBackoff } from '../../../src/core/backoff';

describe('Backoff', () => {
  it('starts at 800 ms, doubles, and caps at 30 s (no jitter at the midpoint)', () => {
    const b = new Backoff({ ...watchBackoff, random: () => 0.5 });
    const delays = Array.from({ length: 8 }, () => b.next());
    assert.deepEqual(delays, [800, 1600, 3200, 6400, 12800, 25600, 30000, 30000]);
  });

  it('spreads delays by the jitter fraction, never past the cap', () => {
    const low = new Backoff({ ...watchBackoff, random: () => 0 });
    const high = new Backoff({ ...watchBackoff, random: () => 0.999999 });
    assert.equal(low.next(), 640);
    assert.equal(high.next(), 960);
    for (let i = 0; i < 10; i++) high.next();
    assert.equal(high.next(), 30000);
  });

  it('starts over after reset', () => {
    const b = new Backoff({ ...watchBackoff, random: () => 0.5 });
    b.next();
    b.next();
    assert.equal(b.failures, 2);
    b.reset();
    assert.equal(b.next(), 800);
  });

  it('sleep rejects when its signal aborts, without waiting for its time to pass', async (t) => {
    // A mocked clock that never moves: the sleep can only end by the abort.
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const c = new AbortController();
    let outcome = 'pending';
    const p = sleep(10_000, c.signal).then(
      () => (outcome = 'resolved'),
      (e: Error) => (outcome = `rejected: ${e.message}`),
    );
    c.abort(new Error('stop'));
    await new Promise((r) => setImmediate(r));
    assert.equal(outcome, 'rejected: stop');
    await p;
  });
});
