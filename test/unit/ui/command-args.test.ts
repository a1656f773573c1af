import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sessionOf } from '../../../src/ui/command-args';
import type { SessionRow } from '../../../src/sessionview/tree';

const ref = { context: 'sandbox-alice', namespace: 'shop', session: 'alice-ratings' };
const row = (extra: Partial<SessionRow>): SessionRow => ({
  id: 'r',
  kind: 'session',
  label: 'alice-ratings',
  icon: { id: 'broadcast' },
  expandable: true,
  ...extra,
});

describe('the session a command is given', () => {
  it('from a Sessions row: its session, and nothing else of the row', () => {
    assert.deepEqual(sessionOf(row({ ref, service: 'ratings' })), ref);
  });

  it('from a ref (status bar, tooltip link, panel): the same three values', () => {
    assert.deepEqual(sessionOf({ ...ref, service: 'ratings' } as typeof ref), ref);
  });

  it('a row without a session, or nothing: none (the command asks)', () => {
    assert.equal(sessionOf(row({ kind: 'message' })), undefined);
    assert.equal(sessionOf(undefined), undefined);
  });
});
