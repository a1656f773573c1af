import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFault } from '../../../sandbox/fault-client';

describe('sandbox fault CLI arguments', () => {
  it('reads every fault kind', () => {
    assert.deepEqual(parseFault(['drop-watches']), { kind: 'drop-watches' });
    assert.deepEqual(parseFault(['api-down', '--ms', '2000']), { kind: 'api-down', ms: 2000 });
    assert.deepEqual(parseFault(['kill-container', 'shop', 'web-1']), {
      kind: 'kill-container',
      namespace: 'shop',
      pod: 'web-1',
      container: undefined,
    });
    assert.deepEqual(parseFault(['unready', 'shop', 'web-1', '--ms', '0']), {
      kind: 'unready',
      namespace: 'shop',
      pod: 'web-1',
      ms: 0,
    });
  });

  it('says what is wrong and lists the faults', () => {
    assert.throws(() => parseFault(['api-down']), /this fault needs --ms N\nfaults:/);
    assert.throws(
      () => parseFault(['latency', '--ms', 'soon']),
      /--ms takes a whole number of milliseconds, not "soon"/,
    );
    assert.throws(() => parseFault(['kill-container', 'shop']), /kill-container needs NS POD/);
    assert.throws(() => parseFault(['flood']), /unknown fault "flood"/);
  });
});
