// Session records are read from ConfigMaps anyone allowed to write ConfigMaps could have written:
// each field is checked, and the error names the one at fault.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type RecordConfigMap, readRecord, recordObject, type SessionState } from '../../../src/core/session/record';
import { RecordError } from '../../../src/core/session/record-schema';

const routeKey = 'key-s1-0123456789abcdefghij';

function state(): SessionState {
  return {
    name: 's1',
    namespace: 'shop',
    routeKey,
    createdAt: '2030-01-01T11:00:00Z',
    createdBy: 'alice',
    participants: [{ name: 'alice', joinedAt: '2030-01-01T11:00:00Z' }],
    services: [
      {
        service: 'ratings',
        owner: 'alice',
        workload: 'Deployment/ratings',
        devService: 'ratings-dl-s1',
        strategy: 'router',
        state: 'live',
        undo: [
          {
            kind: 'release-router',
            namespace: 'shop',
            service: 'ratings',
            summary: "Put Service ratings's selector back",
          },
          {
            kind: 'edit',
            ref: { type: 'configMap', namespace: 'shop', name: 'ratings-devlane-router' },
            edit: { kind: 'router.removeRoute', session: 's1' },
            summary: 'Remove the route',
          },
          {
            kind: 'delete',
            ref: { type: 'service', namespace: 'shop', name: 'ratings-dl-s1' },
            summary: 'Delete Service ratings-dl-s1',
          },
          {
            kind: 'delete',
            ref: { type: 'deployment', namespace: 'shop', name: 'ratings-dl-s1' },
            summary: 'Delete Deployment ratings-dl-s1',
          },
        ],
      },
    ],
  };
}

/* eslint-disable @typescript-eslint/no-explicit-any */

/** The record as a ConfigMap, with its text edited as a raw object (what someone could write). */
function cm(edit: (raw: any) => void = () => {}, where: { name?: string; namespace?: string } = {}): RecordConfigMap {
  const raw = JSON.parse(JSON.stringify(state()));
  edit(raw);
  const obj = recordObject(state());
  return {
    ...obj,
    metadata: {
      ...obj.metadata,
      name: where.name ?? obj.metadata.name,
      namespace: where.namespace ?? 'shop',
      uid: 'u1',
    },
    data: { 'session.json': JSON.stringify(raw) },
  };
}

function refusedAt(c: RecordConfigMap, field: string, problem: RegExp): void {
  assert.throws(
    () => readRecord(c),
    (e: unknown) => {
      assert.ok(e instanceof RecordError, String(e));
      assert.equal(e.field, field);
      assert.match(e.message, problem);
      assert.match(e.message, /^Session record devlane-session-s1 cannot be used: /);
      assert.match(
        e.hint,
        /Nothing in it was replayed or changed.*kubectl delete configmap devlane-session-s1 -n shop/,
      );
      return true;
    },
  );
}

describe('session record schema', () => {
  it('reads a record as Devlane writes it', () => {
    assert.deepEqual(readRecord(cm()), state());
  });

  it('reads a record without the empty lists older versions left out', () => {
    const read = readRecord(
      cm((r) => {
        delete r.participants;
        delete r.services;
      }),
    );
    assert.deepEqual([read.participants, read.services], [[], []]);
  });

  it("reads a trace's observe hop, and names a marker that is not true or false", () => {
    assert.equal(readRecord(cm((r) => (r.services[0].observe = true))).services[0].observe, true);
    assert.equal('observe' in readRecord(cm((r) => (r.services[0].observe = false))).services[0], false);
    refusedAt(
      cm((r) => (r.services[0].observe = 'yes')),
      'services[0].observe',
      /must be true or false \(got "yes"\)/,
    );
  });

  it('names the field: participants that are not a list', () => {
    refusedAt(
      cm((r) => (r.participants = 'oops')),
      'participants',
      /participants: must be a list \(got "oops"\)/,
    );
  });

  it('names the field inside lists', () => {
    refusedAt(
      cm((r) => (r.participants[0].joinedAt = 'yesterday')),
      'participants[0].joinedAt',
      /must be a date and time \(got "yesterday"\)/,
    );
    refusedAt(
      cm((r) => (r.services[0].strategy = 'magic')),
      'services[0].strategy',
      /must be one of istio, router, gateway-api \(got "magic"\)/,
    );
    refusedAt(
      cm((r) => (r.services[0].undo[2].ref = 'svc/x')),
      'services[0].undo[2].ref',
      /must be an object/,
    );
    refusedAt(
      cm((r) => (r.services[0].undo[1].edit.kind = 'shell.exec')),
      'services[0].undo[1].edit.kind',
      /must be one of/,
    );
    refusedAt(
      cm((r) => delete r.services[0].undo[0].summary),
      'services[0].undo[0].summary',
      /must be a non-empty string \(got nothing\)/,
    );
    refusedAt(
      cm((r) => (r.services[0].service = 'x'.repeat(500))),
      'services[0].service',
      /: "x{76}\.\.\. is not a Service name$/,
    );
  });

  it('refuses text that is not JSON, a missing route key, and a route key that is not one', () => {
    const notJson = { ...cm(), data: { 'session.json': '{"name": ' } };
    refusedAt(notJson, '', /its text is not JSON/);
    refusedAt(
      cm((r) => delete r.routeKey),
      'routeKey',
      /must be a non-empty string/,
    );
    refusedAt(
      cm((r) => (r.routeKey = 'a"; evil')),
      'routeKey',
      /not a Devlane route key/,
    );
  });

  it('refuses a record whose text claims another name or namespace than the ConfigMap it is in', () => {
    refusedAt(
      cm((r) => (r.namespace = 'payments')),
      'namespace',
      /"payments" is not the namespace the record is in \("shop"\)/,
    );
    refusedAt(
      cm((r) => (r.name = 'other')),
      'name',
      /"other" does not match the ConfigMap's name devlane-session-s1/,
    );
  });

  it('refuses an undo log that reaches into another namespace, naming the step', () => {
    const planted = cm((r) =>
      r.services[0].undo.push({
        kind: 'edit',
        ref: { type: 'service', namespace: 'payments', name: 'api' },
        edit: { kind: 'service.switchSelector', selector: { app: 'evil' } },
        summary: 'innocent',
      }),
    );
    refusedAt(planted, 'services[0].undo[4].ref.namespace', /"payments" is not the record's namespace "shop"/);
  });

  it('refuses an undo log that would change objects the session did not make', () => {
    refusedAt(
      cm((r) => (r.services[0].undo[2].ref.name = 'ratings')),
      'services[0].undo[2].ref.name',
      /"ratings" is not the copy of ratings in session s1/,
    );
    refusedAt(
      cm((r) => (r.services[0].undo[1].edit.session = 'bob-ratings')),
      'services[0].undo[1].edit.session',
      /not this record's session "s1"/,
    );
  });
});
