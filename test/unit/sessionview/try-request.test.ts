// Try a request, the parts without a cluster: header lines, what is sent with and without the
// route, and which version answered (from the x-devlane-copy header only).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withCopyMarker } from '../../../src/proxy/headers';
import {
  answeredBy,
  outgoingHeaders,
  parseHeaderLines,
  requestProblem,
  type TryRequest,
} from '../../../src/proxy/try-request';
import { parseViewMessage } from '../../../src/sessionview/panel-protocol';

const req = (o: Partial<TryRequest> = {}): TryRequest => ({
  method: 'GET',
  path: '/ratings/p-1',
  headers: '',
  body: '',
  target: 'ratings',
  routed: true,
  ...o,
});
const key = 'AbCdEfGhIjKlMnOpQrStUvWx';

describe('Try a request', () => {
  it('reads one header per line and says which line is wrong', () => {
    assert.deepEqual(parseHeaderLines('Accept: application/json\n\n  x-team: shop  \r\nX-Multi: a: b'), {
      headers: [
        ['accept', 'application/json'],
        ['x-team', 'shop'],
        ['x-multi', 'a: b'],
      ],
    });
    assert.deepEqual(parseHeaderLines('accept application/json'), {
      problem: 'Header line 1 ("accept application/json") is not "Name: value"',
    });
    assert.equal(
      requestProblem(req({ headers: 'ok: 1\nbad line' })),
      'Header line 2 ("bad line") is not "Name: value"',
    );
    assert.equal(requestProblem(req({ path: 'ratings' })), 'The path must start with "/" (got "ratings")');
    assert.equal(requestProblem(req({ method: 'GE T' })), '"GE T" is not an HTTP method');
    assert.equal(requestProblem(req()), undefined);
  });

  it('adds the route key as header and baggage when routed, keeping the user’s other baggage', () => {
    const h = outgoingHeaders(req({ headers: 'baggage: team=shop\naccept: text/plain' }), key, 'ratings');
    assert.equal(h['x-devlane-route'], key);
    assert.equal(h.baggage, `team=shop,devlane=${key}`);
    assert.equal(h.accept, 'text/plain');
    assert.equal(h.host, 'ratings');
  });

  it('takes any route out when sent without the key, so the comparison is honest', () => {
    const h = outgoingHeaders(
      req({ routed: false, headers: `x-devlane-route: ${key}\nbaggage: devlane=${key}, team=shop` }),
      undefined,
      'ratings',
    );
    assert.equal(h['x-devlane-route'], undefined);
    assert.equal(h.baggage, 'team=shop');
    const only = outgoingHeaders(req({ routed: false, headers: `baggage: devlane=${key}` }), undefined, 'ratings');
    assert.equal(only.baggage, undefined);
  });

  it('says which version answered from x-devlane-copy, and never guesses without it', () => {
    assert.deepEqual(answeredBy([['x-devlane-copy', 'devlane:s1']]), {
      kind: 'copy',
      text: 'the developer copy (x-devlane-copy: devlane:s1)',
    });
    assert.deepEqual(answeredBy([['X-Devlane-Copy', 'original']]), {
      kind: 'original',
      text: 'the original (x-devlane-copy: original)',
    });
    assert.deepEqual(answeredBy([['content-type', 'application/json']]), {
      kind: 'unknown',
      text: 'unknown (no x-devlane-copy header)',
    });
  });

  it('without the header, says which version answered from the pod the request went straight to', () => {
    const copyPod = {
      pod: 'ratings-dl-s1-7d9-x',
      service: 'ratings',
      labels: {
        'devlane.dev/session': 's1',
        'devlane.dev/role': 'dev',
        'devlane.dev/service': 'ratings',
        app: 'ratings',
      },
    };
    const originalPod = { pod: 'ratings-5c7-y', service: 'ratings', labels: { app: 'ratings' } };
    const routerPod = {
      pod: 'ratings-devlane-router-1',
      service: 'ratings',
      labels: { 'devlane.dev/role': 'router', 'devlane.dev/service': 'ratings' },
    };
    assert.deepEqual(answeredBy([], copyPod), {
      kind: 'copy',
      text: 'the developer copy of session s1 (pod ratings-dl-s1-7d9-x, reached directly)',
    });
    assert.deepEqual(answeredBy([], originalPod), {
      kind: 'original',
      text: 'the original ratings (pod ratings-5c7-y, reached directly)',
    });
    // A router marks every answer from a copy: an unmarked one is the original's.
    assert.deepEqual(answeredBy([], routerPod), {
      kind: 'original',
      text: "the original ratings (through its router, pod ratings-devlane-router-1: no session's route was taken)",
    });
    // Any other pod of Devlane's (not a copy, not a router) is not claimed.
    assert.equal(
      answeredBy([], { pod: 'x', service: 'ratings', labels: { 'devlane.dev/role': 'origin' } }).kind,
      'unknown',
    );
    // The header, when there, says more than the pod: a router answered for the copy.
    assert.equal(answeredBy([['x-devlane-copy', 's1']], routerPod).kind, 'copy');
  });

  it('marks an answer the routed proxy got straight from a copy, as the routing strategies do', () => {
    const copy = { 'devlane.dev/session': 's1', 'devlane.dev/role': 'dev' };
    assert.deepEqual(withCopyMarker(['Content-Type', 'text/plain'], copy), [
      'Content-Type',
      'text/plain',
      'x-devlane-copy',
      's1',
    ]);
    assert.deepEqual(withCopyMarker(['X-Devlane-Copy', 's1'], copy), ['X-Devlane-Copy', 's1']);
    assert.deepEqual(withCopyMarker(['Content-Type', 'text/plain'], { app: 'ratings' }), [
      'Content-Type',
      'text/plain',
    ]);
  });

  it('checks the page’s messages before acting on them', () => {
    assert.deepEqual(parseViewMessage({ type: 'stop' }), { type: 'stop' });
    assert.equal(parseViewMessage({ type: 'rm -rf' }), undefined);
    assert.equal(parseViewMessage({ type: 'openLogs' }), undefined);
    assert.equal(parseViewMessage({ type: 'copyRouteKey', form: 'password' }), undefined);
    assert.equal(parseViewMessage({ type: 'tryRequest', id: 1, request: { ...req(), routed: 'yes' } }), undefined);
    assert.ok(parseViewMessage({ type: 'tryRequest', id: 1, request: req() }));
  });
});
