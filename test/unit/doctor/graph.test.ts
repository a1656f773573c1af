// A trace's answer as the small graph the CLI and the session panel show.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { graphText, traceGraph } from '../../../src/doctor/graph';
import { traceResult } from '../sessionview/fixtures';

describe('trace graph', () => {
  it('chains the Services in the order the probe reached them, then the copies it never reached', () => {
    assert.equal(
      graphText(traceGraph(traceResult(true))),
      'entry → web (key ✓) → catalog (key ✓) → ratings (key ✗) → ratings copy (not reached)',
    );
    assert.equal(
      graphText(traceGraph(traceResult(false)), 'Ingress shop'),
      'Ingress shop → web (key ✓) → catalog (key ✓) → ratings copy (key ✓)',
    );
  });

  it('shows the same call once, however often it was made', () => {
    const r = traceResult(true);
    r.hops.push({ ...r.hops[2] });
    assert.equal(traceGraph(r).filter((n) => n.service === 'ratings' && !n.copy).length, 1);
  });

  it('says the entry was not reached when the probe was not seen there', () => {
    const r = { ...traceResult(true), hops: [] };
    assert.equal(graphText(traceGraph(r)), 'entry → web (not reached) → ratings copy (not reached)');
  });
});
