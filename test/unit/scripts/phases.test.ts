// The demo prints how long each phase took; the clock is passed in, so no time is measured here.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { phaseClock } from '../../../scripts/lib/phases.mjs';

describe('the demo’s phase clock', () => {
  it('prints each phase as it ends, skipped ones with why, and the total', () => {
    let t = 1_000;
    const clock = phaseClock(() => t);
    const build = clock.start('build');
    t += 24_100;
    assert.equal(build(), 'build: 24.1 s');
    clock.skip('code-server install', 'installed');
    const cluster = clock.start('sandbox ready');
    t += 12_340;
    assert.equal(cluster(), 'sandbox ready: 12.3 s');
    const editor = clock.start('editor ready');
    t += 8_000;
    editor();
    assert.equal(
      clock.summary(),
      'phases: build 24.1 s, code-server install skipped (installed), sandbox ready 12.3 s, editor ready 8.0 s; total 44.4 s',
    );
  });
});
