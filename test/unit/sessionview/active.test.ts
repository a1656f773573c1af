// The sessions this window is in: what each owns ends with it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Emitter } from '../../../src/core/events';
import { ActiveSessions } from '../../../src/sessionview/active';
import { joinLink, joinQuestion, parseJoinLink } from '../../../src/sessionview/refs';

const ref = { context: 'dev', namespace: 'shop', session: 'alice-ratings' };

function heartbeat() {
  const lose = new Emitter<Error>();
  const hb = {
    disposed: false,
    dispose() {
      hb.disposed = true;
    },
    onDidLose: lose.event,
    lose,
  };
  return hb;
}

describe('active sessions', () => {
  it('releases the heartbeat and the proxy when the session is left', () => {
    const active = new ActiveSessions();
    active.starting(ref, 'ratings');
    const hb = heartbeat();
    active.live(ref, hb);
    let proxyClosed = false;
    active.own(ref, { dispose: () => (proxyClosed = true) });
    active.forget(ref);
    assert.deepEqual([hb.disposed, proxyClosed, active.list().length], [true, true, 0]);
  });

  it('forgets a session whose Lease was lost elsewhere, and says so', () => {
    const active = new ActiveSessions();
    const hb = heartbeat();
    const lost: string[] = [];
    active.live(ref, hb, (r) => lost.push(r.session));
    hb.lose.fire(new Error('gone'));
    assert.deepEqual([active.list().length, lost], [0, ['alice-ratings']]);
  });

  it('drops a failed first start, but keeps a session it was already in', () => {
    const active = new ActiveSessions();
    active.starting(ref, 'ratings');
    active.startFailed(ref);
    assert.equal(active.current(), undefined);
    active.live(ref, heartbeat());
    active.starting(ref, 'catalog');
    active.startFailed(ref);
    assert.equal(active.current()?.phase, 'live');
  });

  it('does not own anything for a session it is not in', () => {
    const active = new ActiveSessions();
    let closed = false;
    active.own(ref, { dispose: () => (closed = true) });
    assert.equal(closed, true);
  });
});

describe('join links', () => {
  it('name the context, namespace and session, and read back the same', () => {
    const link = joinLink({ context: 'team cluster', namespace: 'shop', session: 'alice-ratings' }, 'devlane.devlane');
    assert.equal(link, 'vscode://devlane.devlane/join?context=team+cluster&namespace=shop&session=alice-ratings');
    const url = new URL(link);
    assert.deepEqual(parseJoinLink(url.pathname, url.search.slice(1)), {
      ref: { context: 'team cluster', namespace: 'shop', session: 'alice-ratings' },
    });
  });

  it('refuse links that do not name a valid session', () => {
    assert.deepEqual(parseJoinLink('/join', 'context=dev&namespace=shop&session=Bad_Name'), {
      problem:
        'The link names no valid session: "Bad_Name" must be lower-case letters, digits and "-", start with a letter and end with a letter or digit',
    });
    assert.match((parseJoinLink('/other', 'context=dev') as { problem: string }).problem, /start with \/join/);
    assert.match((parseJoinLink('/join', 'namespace=shop&session=a') as { problem: string }).problem, /no context/);
  });

  it('says so in its confirmation when the link leads into a production-looking place', () => {
    const ref = { context: 'kind-dev', namespace: 'payments-prod', session: 'alice-ratings' };
    const q = joinQuestion(ref, 'namespace "payments-prod" matches "*prod*" (devlane.productionNamespaces)');
    assert.equal(q.warning, true);
    assert.equal(q.message, 'Join session alice-ratings in kind-dev / payments-prod? This looks like production.');
    assert.match(
      q.detail,
      /^namespace "payments-prod" matches "\*prod\*" \(devlane\.productionNamespaces\)\.\n\nThe link came from outside the editor: join only if you expected it\./,
    );
    assert.deepEqual(joinQuestion({ ...ref, namespace: 'shop' }, undefined), {
      warning: false,
      message: 'Join session alice-ratings in kind-dev / shop?',
      detail: 'You become a participant: you get its route key, and can take over services in it.',
    });
  });
});
