import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatLine,
  LineSplitter,
  sourceColour,
  sourcePrefix,
  splitTimestamp,
  timestampKey,
} from '../../../src/core/log-lines';

describe('LineSplitter', () => {
  it('holds a partial line until its end arrives, and strips CR', () => {
    const s = new LineSplitter();
    assert.deepEqual(s.push('one\r\ntw'), ['one']);
    assert.deepEqual(s.push('o\nthree'), ['two']);
    assert.deepEqual(s.end(), ['three']);
    assert.deepEqual(s.end(), []);
  });

  it('does not break a UTF-8 character split across chunks', () => {
    const s = new LineSplitter();
    const bytes = Buffer.from('grüße\n');
    const lines = [...s.push(bytes.subarray(0, 3)), ...s.push(bytes.subarray(3))];
    assert.deepEqual(lines, ['grüße']);
  });
});

describe('timestamps', () => {
  it('splits the API server timestamp from the text', () => {
    assert.deepEqual(splitTimestamp('2024-05-01T10:00:00.123456789Z hello world'), {
      timestamp: '2024-05-01T10:00:00.123456789Z',
      text: 'hello world',
    });
    assert.deepEqual(splitTimestamp('no timestamp here'), { text: 'no timestamp here' });
  });

  it('orders timestamps with different fraction lengths correctly', () => {
    const a = timestampKey('2024-05-01T10:00:05.123456789Z');
    const b = timestampKey('2024-05-01T10:00:05.5Z');
    const c = timestampKey('2024-05-01T10:00:05Z');
    assert.ok(c < a && a < b);
  });
});

describe('prefixes', () => {
  it('uses kubectl --prefix format', () => {
    assert.equal(sourcePrefix({ pod: 'web-1', container: 'app' }), '[pod/web-1/app]');
    assert.equal(formatLine({ pod: 'web-1', container: 'app' }, 'hi', false), '[pod/web-1/app] hi');
  });

  it('colours a source the same way every time, and wraps only the prefix', () => {
    const src = { pod: 'web-1', container: 'app' };
    assert.equal(sourceColour(src), sourceColour({ ...src }));
    const line = formatLine(src, 'hi', true);
    assert.ok(line.startsWith(`\x1b[${sourceColour(src)}m[pod/web-1/app]\x1b[0m `));
    assert.ok(line.endsWith(' hi'));
  });
});
