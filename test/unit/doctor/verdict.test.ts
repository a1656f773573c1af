// Trace Route's pure parts: access records as the router writes them, who called whom, and the
// sentence that names the hop that dropped the key.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AccessRecord, parseAccessLog } from '../../../src/doctor/records';
import { outsideMesh, pathProblem } from '../../../src/doctor/trace';
import type { Step } from '../../../src/core/session/plan';
import { type Caller, renderTrace, traceVerdict, type TraceFacts } from '../../../src/doctor/verdict';

const key = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1';
const probe = '0123456789abcdef';
let clock = 1_700_000_000_000;

/** One record at `service`, from `from`, lasting [start, end] ms after the probe went out. */
function rec(
  service: string,
  from: string,
  start: number,
  end: number,
  over: Partial<AccessRecord> = {},
): AccessRecord {
  return {
    service,
    pod: `${service}-router-1`,
    start: clock + start,
    end: clock + end,
    from,
    routeHeader: '',
    baggageKey: '',
    probe: '',
    session: '',
    upstream: '10.0.0.9:80',
    status: 200,
    ...over,
  };
}
const keyed = { routeHeader: key, baggageKey: key, probe };

const pods: Record<string, Caller> = {
  '10.1.0.1': { service: 'web', pod: 'web-1' },
  '10.1.0.2': { service: 'catalog', pod: 'catalog-1' },
  '10.1.0.3': { service: 'ratings', pod: 'ratings-dl-s1-1', copy: true },
  '10.1.0.9': { service: 'web', pod: 'web-devlane-router-1', proxy: true },
  '10.1.0.8': { service: 'ratings', pod: 'ratings-devlane-router-1', proxy: true },
  '127.0.0.1': { service: '', pod: '', proxy: true },
};

const facts = (records: AccessRecord[]): TraceFacts => ({
  session: 's1',
  routeKey: key,
  probe,
  entry: 'web',
  copies: ['ratings'],
  observed: ['web', 'catalog', 'ratings'],
  records,
  whois: (a) => pods[a],
});

describe('access records', () => {
  it('reads the fields nginx wrote, escapes undone, and skips lines that are not whole records', () => {
    const text = [
      `1700000000.500\t0.250\t10.1.0.2\t${key}\t\t${probe}\ts1\t10.0.0.7:80\t200`,
      `1700000001.000\t0.000\t10.1.0.1\tsay \\"hi\\"\t-\t\t\t-\t404`,
      'a line cut short\t1',
      '',
    ].join('\n');
    const [a, b, ...rest] = parseAccessLog(text, { service: 'ratings', pod: 'p' });
    assert.equal(rest.length, 0);
    assert.equal(a.start, 1_700_000_000_250);
    assert.equal(a.end, 1_700_000_000_500);
    assert.equal(a.from, '10.1.0.2');
    assert.equal(a.routeHeader, key);
    assert.equal(a.probe, probe);
    assert.equal(a.session, 's1');
    assert.equal(b.routeHeader, 'say "hi"');
    assert.equal(b.baggageKey, '');
    assert.equal(b.upstream, '');
    assert.equal(b.status, 404);
  });
});

describe('trace verdict', () => {
  it('every hop passes the key on: the whole path, the copy reached', () => {
    clock += 10_000;
    const r = traceVerdict(
      facts([
        rec('web', '10.1.0.9', 0, 100, keyed),
        rec('catalog', '10.1.0.1', 10, 90, keyed),
        rec('ratings', '10.1.0.2', 20, 30, { ...keyed, session: 's1' }),
        rec('ratings', '10.1.0.2', 40, 50, { ...keyed, session: 's1' }),
        // someone else's traffic at the same time
        rec('catalog', '10.7.7.7', 15, 25),
      ]),
    );
    assert.equal(r.ok, true);
    assert.deepEqual(
      r.hops.map((h) => [h.from, h.service, h.key, h.copy]),
      [
        ['probe', 'web', true, false],
        ['web', 'catalog', true, false],
        ['catalog', 'ratings', true, true],
        ['catalog', 'ratings', true, true],
      ],
    );
    assert.deepEqual(r.copies, [{ service: 'ratings', reached: true }]);
    assert.equal(r.dropped, undefined);
    assert.match(r.sentence, /reached the copy of ratings with the key/);
  });

  it("catalog drops the key: named by the caller's address, likely (an original pod)", () => {
    clock += 10_000;
    const r = traceVerdict(
      facts([
        rec('web', '10.1.0.9', 0, 100, keyed),
        rec('catalog', '10.1.0.1', 10, 90, keyed),
        rec('ratings', '10.1.0.2', 20, 30),
        rec('ratings', '10.1.0.2', 40, 50),
      ]),
    );
    assert.equal(r.ok, false);
    assert.deepEqual(r.dropped, { from: 'catalog', to: 'ratings', certainty: 'likely', by: 'address' });
    assert.match(r.sentence, /^catalog received the key but called ratings without it \(likely/);
    assert.deepEqual(r.copies, [{ service: 'ratings', reached: false }]);
    const text = renderTrace(r);
    assert.match(text, /probe → web {2}key ✓/);
    assert.match(text, /web → catalog {2}key ✓/);
    assert.match(text, /catalog → ratings {2}key ✗/);
    assert.match(text, /ratings copy: not reached/);
    assert.equal(
      text.split('\n').filter((l) => l.includes('catalog → ratings')).length,
      1,
      'one line per distinct call',
    );
  });

  it('a call from a session copy is certain', () => {
    clock += 10_000;
    const r = traceVerdict({
      ...facts([
        rec('web', '10.1.0.9', 0, 100, keyed),
        rec('ratings', '10.1.0.1', 10, 90, { ...keyed, session: 's1' }),
        rec('catalog', '10.1.0.3', 20, 30),
      ]),
      copies: ['ratings', 'catalog'],
    });
    assert.deepEqual(r.dropped, { from: 'ratings', to: 'catalog', certainty: 'certain', by: 'address' });
    assert.equal(r.sentence, 'ratings received the key but called catalog without it');
  });

  it('no source address to go by (a proxy in between): the innermost probe request around it, by time', () => {
    clock += 10_000;
    const r = traceVerdict(
      facts([
        rec('web', '10.1.0.9', 0, 100, keyed),
        rec('catalog', '10.1.0.8', 10, 90, keyed),
        rec('ratings', '10.1.0.8', 20, 30),
      ]),
    );
    assert.deepEqual(r.dropped, { from: 'catalog', to: 'ratings', certainty: 'likely', by: 'time' });
    assert.match(r.sentence, /^catalog received the key but called ratings without it \(likely: .*source address/);
  });

  it('by time alone, a key-less request is not blamed where the probe arrived with the key (other traffic)', () => {
    clock += 10_000;
    const r = traceVerdict(
      facts([
        rec('web', '10.1.0.9', 0, 100, keyed),
        rec('catalog', '10.1.0.8', 10, 90, keyed),
        // someone's un-keyed request to web while catalog handled the probe: the sandbox shows loopback
        rec('web', '127.0.0.1', 20, 25),
        rec('ratings', '10.1.0.8', 30, 40, { ...keyed, session: 's1' }),
      ]),
    );
    assert.equal(r.ok, true);
    assert.equal(r.hops.filter((h) => !h.key).length, 0);
  });

  it('key-less traffic outside the probe, or from Services the probe never reached, is not blamed', () => {
    clock += 10_000;
    const r = traceVerdict(
      facts([
        rec('web', '10.1.0.9', 0, 100, keyed),
        rec('ratings', '10.1.0.2', 5_000, 5_010),
        rec('ratings', '10.1.0.2', 20, 30),
      ]),
    );
    assert.equal(r.dropped, undefined);
    assert.equal(r.ok, false);
    assert.match(r.sentence, /did not reach the copy of ratings; the last Service seen with the key was web/);
  });

  // In a mesh namespace the session's key goes to the copy's dev Service (Istio's VirtualService),
  // where an observe hop with no route of the session records it; the held Service's own hop
  // records the requests without the key.
  const mesh = (records: AccessRecord[]): TraceFacts => ({
    ...facts(records),
    observed: ['web', 'catalog', 'ratings', 'ratings-dl-s1'],
    copyFronts: { 'ratings-dl-s1': 'ratings' },
  });

  it("mesh: a keyed request at the copy's dev Service reached the copy of the Service it stands for", () => {
    clock += 10_000;
    const r = traceVerdict(
      mesh([
        rec('web', '127.0.0.1', 0, 100, keyed),
        rec('catalog', '127.0.0.1', 10, 90, keyed),
        rec('ratings-dl-s1', '127.0.0.1', 20, 30, keyed),
        // someone else's un-keyed request to ratings meanwhile, at its own hop
        rec('ratings', '127.0.0.1', 40, 50),
      ]),
    );
    assert.equal(r.ok, true, r.sentence);
    assert.deepEqual(
      r.hops.map((h) => [h.from, h.service, h.key, h.copy]),
      [
        ['probe', 'web', true, false],
        ['web', 'catalog', true, false],
        ['catalog', 'ratings', true, true],
      ],
    );
    assert.deepEqual(r.copies, [{ service: 'ratings', reached: true }]);
    assert.match(r.sentence, /reached the copy of ratings with the key: .*catalog → ratings copy \(key ✓\)/);
  });

  it("mesh: catalog drops the key: the held Service's own hop saw the call, the copy's saw nothing", () => {
    clock += 10_000;
    const r = traceVerdict(
      mesh([
        rec('web', '127.0.0.1', 0, 100, keyed),
        rec('catalog', '127.0.0.1', 10, 90, keyed),
        rec('ratings', '127.0.0.1', 20, 30),
      ]),
    );
    assert.equal(r.ok, false);
    assert.deepEqual(r.copies, [{ service: 'ratings', reached: false }]);
    assert.deepEqual(r.dropped, { from: 'catalog', to: 'ratings', certainty: 'likely', by: 'time' });
    assert.match(r.sentence, /^catalog received the key but called ratings without it/);
  });

  it("mesh: a request without the key at the copy's dev Service does not count as the copy reached", () => {
    clock += 10_000;
    const r = traceVerdict(
      mesh([
        rec('web', '127.0.0.1', 0, 100, keyed),
        rec('catalog', '127.0.0.1', 10, 90, keyed),
        rec('ratings-dl-s1', '127.0.0.1', 20, 30, { probe }),
      ]),
    );
    assert.equal(r.ok, false);
    assert.deepEqual(r.copies, [{ service: 'ratings', reached: false }]);
    assert.equal(r.dropped?.to, 'ratings');
  });

  it('a probe never seen at the entry says so', () => {
    const r = traceVerdict(facts([]));
    assert.equal(r.ok, false);
    assert.match(r.sentence, /not seen arriving at web/);
  });
});

describe('probe path', () => {
  it('takes a path and query as typed, and says why another is refused', () => {
    assert.equal(pathProblem('/api/products?x=1&y=%20'), undefined);
    assert.match(pathProblem('api') ?? '', /does not start with \//);
    assert.match(pathProblem('/a b') ?? '', /spaces, quotes or non-ASCII/);
    assert.match(pathProblem("/it's") ?? '', /spaces, quotes or non-ASCII/);
    assert.match(pathProblem('/ü') ?? '', /spaces, quotes or non-ASCII/);
  });
});

describe('observe hops in a mesh', () => {
  it("keep the router pods out of Istio's sidecar injection, and change nothing else", () => {
    const router = (labels: Record<string, string>) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web-devlane-router' },
      spec: { template: { metadata: { labels } } },
    });
    const create: Step = {
      kind: 'create',
      ref: { type: 'deployment', namespace: 'ns', name: 'web-devlane-router' },
      object: router({ 'devlane.dev/role': 'router' }),
      summary: 'Create the router',
      undo: [],
    };
    const out = outsideMesh(create);
    assert.equal(out.kind, 'create');
    assert.deepEqual(
      out.kind === 'create' && out.object,
      router({ 'devlane.dev/role': 'router', 'sidecar.istio.io/inject': 'false' }),
    );
    assert.deepEqual(create.object, router({ 'devlane.dev/role': 'router' }), 'the plan step itself is left as it was');
    const origin: Step = { ...create, ref: { type: 'service', namespace: 'ns', name: 'web-devlane-origin' } };
    assert.equal(outsideMesh(origin), origin);
  });
});
