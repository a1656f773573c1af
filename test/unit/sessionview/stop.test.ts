// Stop Session asks first only when it ends the session for someone else too.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stopQuestion } from '../../../src/sessionview/stop';

const view = (participants: { name: string; alive: boolean; me: boolean }[], createdBy = 'alice') => ({
  session: 'alice-ratings',
  createdBy,
  participants,
  mine: participants.some((p) => p.me),
});

describe('stopQuestion', () => {
  it('asks nothing when you are alone in the session, or the others’ Leases expired', () => {
    assert.equal(stopQuestion(view([{ name: 'alice', alive: true, me: true }])), undefined);
    assert.equal(
      stopQuestion(
        view([
          { name: 'alice', alive: true, me: true },
          { name: 'bob', alive: false, me: false },
        ]),
      ),
      undefined,
    );
    assert.equal(stopQuestion(undefined), undefined);
  });

  it('names who else is still in it and offers Stop for Everyone', () => {
    const q = stopQuestion(
      view([
        { name: 'alice', alive: true, me: true },
        { name: 'bob', alive: true, me: false },
        { name: 'carol', alive: true, me: false },
      ]),
    );
    assert.equal(q?.message, 'Stop session alice-ratings for everyone?');
    assert.match(q!.detail, /^bob, carol are still in it/);
    assert.equal(q?.confirm, 'Stop for Everyone');
    assert.doesNotMatch(q!.detail, /You are not in it/);
  });

  it("says so when the session is someone else's and you are not in it", () => {
    const q = stopQuestion(view([{ name: 'bob', alive: true, me: false }], 'bob'));
    assert.match(q!.detail, /^bob is still in it: .* You are not in it; bob started it\./);
  });
});
