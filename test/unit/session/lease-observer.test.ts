// Others' Leases expire by what this process saw of their renewals, on its own monotonic clock:
// a colleague whose clock is a minute behind is not collected while they keep renewing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LeaseObject } from '../../../src/session/lease';
import { LeaseObserver, leaseWhere } from '../../../src/session/lease-observer';

/** A colleague's Lease as their machine writes it: renewTime from their clock, a new resourceVersion per renewal. */
function theirLease(renewedAt: Date, version: number): LeaseObject {
  return {
    metadata: { name: 'devlane-s-bob', uid: 'u1', resourceVersion: String(version) },
    spec: { holderIdentity: 'bob#w1', leaseDurationSeconds: 30, renewTime: renewedAt.toISOString() },
  };
}

describe('lease expiry as seen from here', () => {
  // This machine's wall clock; bob's is 60 s behind it.
  const wallNow = Date.parse('2030-01-01T12:00:00Z');
  const skew = 60_000;

  it('keeps a Lease alive while it keeps being renewed, however far behind its writer’s clock is', () => {
    let mono = 1_000;
    const observer = new LeaseObserver(() => mono);
    for (let i = 0; i < 40; i++) {
      // By the local clock this renewTime is always 60 s in the past, longer than the Lease lasts.
      const lease = theirLease(new Date(wallNow + mono - skew), i);
      assert.equal(observer.expired('shop', 'devlane-s-bob', lease), false, `renewal ${i}`);
      mono += 5_000;
    }
  });

  it('expires a Lease that stops changing, after its duration of local observation and not before', () => {
    let mono = 0;
    const observer = new LeaseObserver(() => mono);
    const last = theirLease(new Date(wallNow - skew), 7);
    assert.equal(
      observer.expired('shop', 'devlane-s-bob', last),
      false,
      'first seen: not judged yet, however old it looks',
    );
    mono = 34_000;
    assert.equal(observer.expired('shop', 'devlane-s-bob', last), false, 'within duration and grace');
    mono = 35_001;
    assert.equal(
      observer.expired('shop', 'devlane-s-bob', last),
      true,
      'unchanged for more than 30 s + 5 s as measured here',
    );
    // A renewal after all: alive again, judged afresh from now.
    assert.equal(observer.expired('shop', 'devlane-s-bob', theirLease(new Date(wallNow - skew + 40_000), 8)), false);
  });

  it('expires a missing Lease only once it has been missing for a Lease duration, and a renewal of the same text with a new version counts', () => {
    let mono = 0;
    const observer = new LeaseObserver(() => mono);
    assert.equal(
      observer.expired('shop', 'devlane-s-carol', undefined),
      false,
      'a participant whose Lease is not there yet',
    );
    mono = 36_000;
    assert.equal(observer.expired('shop', 'devlane-s-carol', undefined), true);

    const l = theirLease(new Date(wallNow), 1);
    observer.expired('shop', 'devlane-s-bob', l);
    mono = 80_000;
    assert.equal(
      observer.expired('shop', 'devlane-s-bob', { ...l, metadata: { ...l.metadata, resourceVersion: '2' } }),
      false,
      'a new resourceVersion is a change',
    );
  });

  it('tells the same Lease name in two clusters apart', () => {
    let mono = 0;
    const observer = new LeaseObserver(() => mono);
    const here = theirLease(new Date(wallNow), 1);
    const there = { ...theirLease(new Date(wallNow), 1), metadata: { ...here.metadata, uid: 'u2' } };
    observer.expired(leaseWhere('prod', 'shop'), 'devlane-s-bob', here);
    observer.expired(leaseWhere('staging', 'shop'), 'devlane-s-bob', there);
    mono = 40_000;
    assert.equal(
      observer.expired(leaseWhere('prod', 'shop'), 'devlane-s-bob', here),
      true,
      'one observation does not count as a change of the other',
    );
  });

  it('forgets Leases no session refers to any more', () => {
    let mono = 0;
    const observer = new LeaseObserver(() => mono);
    const l = theirLease(new Date(wallNow), 1);
    observer.expired('dev/shop', 'devlane-s-bob', l);
    observer.expired('dev/shop-2', 'devlane-s-bob', l);
    observer.keepOnly('dev/shop', []);
    mono = 100_000;
    assert.equal(observer.expired('dev/shop', 'devlane-s-bob', l), false, 'seen afresh');
    assert.equal(observer.expired('dev/shop-2', 'devlane-s-bob', l), true, 'another namespace is kept');
  });
});
