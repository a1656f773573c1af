// The demo shop's own sources, as they are: web passes the route headers on, ratings and orders call no one,
// and catalog passes them on only unless DROP_ROUTE_HEADERS=1, which is the broken hop the editor
// shows after a trace.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { languageOf, propagationProblems } from '../../../../src/doctor/propagation/index';
import { said } from './check';

const demo = (file: string) => {
  const path = join(__dirname, '../../../../../sandbox/demo/src', file);
  return { text: readFileSync(path, 'utf8'), language: languageOf(path)! };
};

describe("propagation check on the demo shop's sources", () => {
  it('finds web forwarding the route headers on its one call site (to catalog and to orders)', () => {
    const web = demo('web/server.js');
    assert.deepEqual(said(web.text, web.language), [
      { callee: 'http.request', kind: 'forwards', inRequest: true, fixable: false },
    ]);
    assert.deepEqual(propagationProblems(web.text, web.language, 'web'), []);
  });

  it('finds no outbound call in ratings', () => {
    const ratings = demo('ratings/server.js');
    assert.deepEqual(said(ratings.text, ratings.language), []);
  });

  it('finds no outbound HTTP call in orders (it speaks only to its database)', () => {
    for (const file of ['orders/app.py', 'orders/pg.py']) {
      const orders = demo(file);
      assert.deepEqual(said(orders.text, orders.language), [], file);
    }
  });

  it("flags catalog's call to ratings: the headers are passed on only depending on DROP_ROUTE_HEADERS", () => {
    const catalog = demo('catalog/app.py');
    const problems = propagationProblems(catalog.text, catalog.language, 'catalog', 'ratings');
    assert.equal(problems.length, 1);
    const [p] = problems;
    assert.equal(p.severity, 'error');
    assert.equal(catalog.text.slice(p.call.calleeFrom, p.call.calleeTo), 'urllib.request.Request');
    assert.equal(
      p.message,
      'catalog calls ratings here without the route headers: urllib.request.Request(…) passes them on only depending on `os.environ.get("DROP_ROUTE_HEADERS") == "1"`, so requests from the session lose their key at this hop.',
    );
  });
});
