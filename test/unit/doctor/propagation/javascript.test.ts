// The propagation check on Node services: node:http and node:https, fetch, axios (and instances),
// in http.createServer and Express handlers, JavaScript and TypeScript; what it accepts as
// forwarding, what it flags, and that each fix is valid code that the check then accepts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { outboundCalls, propagationProblems } from '../../../../src/doctor/propagation/index';
import { fixAll, said, scriptSyntaxErrors } from './check';

const httpMissing = `
const http = require('node:http');
http.createServer((req, res) => {
  const up = http.request(CATALOG + '/products', { method: 'GET', timeout: 5000 }, (r) => r.pipe(res));
  up.end();
}).listen(8080);
`;

const fetchForwards = `
app.get('/products', async (req, res) => {
  const r = await fetch(CATALOG, {
    headers: { 'x-devlane-route': req.headers['x-devlane-route'] ?? '', baggage: req.headers.baggage ?? '' },
  });
  res.json(await r.json());
});
`;

const fetchBehindEnv = `
app.get('/products', async (req, res) => {
  const headers = process.env.FORWARD_ROUTE === '1' ? { 'x-devlane-route': req.headers['x-devlane-route'] } : {};
  res.json(await (await fetch(CATALOG, { headers })).json());
});
`;

const axiosMissing = `
const axios = require('axios');
router.post('/orders', async (req, res) => {
  const stock = await axios.get(STOCK + '/stock');
  const order = await axios.post(ORDERS, { id: req.body.id });
  res.json({ stock: stock.data, order: order.data });
});
`;

const axiosInstanceAll = `
const axios = require('axios');
const api = axios.create({ baseURL: CATALOG });
app.get('/products', async (req, res) => {
  res.json((await api.get('/products', { headers: { ...req.headers } })).data);
});
`;

const httpsHelper = `
const https = require('https');
function ratings(id, incoming, done) {
  https.get(RATINGS + '/' + id, (r) => done(r.statusCode));
}
module.exports = (req, res) => ratings(1, req.headers, (s) => res.end(String(s)));
`;

const otel = `
const { context, propagation } = require('@opentelemetry/api');
app.get('/products', async (req, res) => {
  const headers = {};
  propagation.inject(context.active(), headers);
  res.json(await (await fetch(CATALOG, { headers })).json());
});
`;

const typescript = `
import express, { type Request, type Response } from 'express';
import axios from 'axios';
app.get('/products', async (req: Request, res: Response): Promise<void> => {
  const r = await fetch(\`\${CATALOG}/products\`, { method: 'GET' } as RequestInit);
  const s = await axios({ url: STOCK, timeout: 1000 });
  res.json({ products: await r.json(), stock: s.data });
});
`;

const flagAndStartup = `
async function loadConfig(): Promise<unknown> {
  return (await fetch(CONFIG_URL)).json();
}
app.get('/products', async (req, res) => {
  const headers: Record<string, string> = {};
  if (config.propagate) headers['x-devlane-route'] = String(req.headers['x-devlane-route']);
  res.json(await (await fetch(CATALOG, { headers })).json());
});
`;

const otelApi = `
import * as api from '@opentelemetry/api';
app.get('/products', async (req: Request, res: Response) => {
  const r = await fetch(CATALOG, { method: 'GET' });
  res.json(await r.json());
});
`;

describe('propagation check, Node', () => {
  it('flags http.request in a createServer handler that sets no headers', () => {
    assert.deepEqual(said(httpMissing, 'javascript'), [
      { callee: 'http.request', kind: 'missing', inRequest: true, fixable: true },
    ]);
  });

  it('accepts fetch forwarding both route headers explicitly', () => {
    assert.deepEqual(
      said(fetchForwards, 'javascript').map((s) => s.kind),
      ['forwards'],
    );
  });

  it('calls forwarding behind an environment variable conditional', () => {
    assert.deepEqual(
      said(fetchBehindEnv, 'javascript').map((s) => s.kind),
      ['conditional'],
    );
  });

  it('flags axios.get and axios.post in an Express router handler', () => {
    assert.deepEqual(said(axiosMissing, 'javascript'), [
      { callee: 'axios.get', kind: 'missing', inRequest: true, fixable: true },
      { callee: 'axios.post', kind: 'missing', inRequest: true, fixable: true },
    ]);
  });

  it('accepts an axios instance given all incoming headers', () => {
    assert.deepEqual(
      said(axiosInstanceAll, 'javascript').map((s) => s.kind),
      ['forwards'],
    );
  });

  it('flags https.get in a helper whose caller hands it the incoming headers, and fixes it from them', () => {
    assert.deepEqual(said(httpsHelper, 'javascript'), [
      { callee: 'https.get', kind: 'missing', inRequest: true, fixable: true },
    ]);
    assert.match(
      fixAll(httpsHelper, 'javascript'),
      /https\.get\(RATINGS \+ '\/' \+ id, \{ headers: Object\.fromEntries\(.*incoming\[h\]/,
    );
  });

  it("accepts OpenTelemetry's propagation.inject into the headers", () => {
    assert.deepEqual(
      said(otel, 'javascript').map((s) => s.kind),
      ['forwards'],
    );
  });

  it('flags fetch and axios(config) in a TypeScript handler', () => {
    assert.deepEqual(said(typescript, 'typescript'), [
      { callee: 'fetch', kind: 'missing', inRequest: true, fixable: true },
      { callee: 'axios', kind: 'missing', inRequest: true, fixable: true },
    ]);
  });

  it('tells a call with no request in reach, and a header set only behind a flag', () => {
    const problems = propagationProblems(flagAndStartup, 'typescript', 'web', 'catalog');
    assert.deepEqual(
      problems.map((p) => [p.severity, p.message]),
      [
        [
          'info',
          'fetch(…) does not pass the route headers (x-devlane-route, baggage) on. No incoming request is in reach here, so this may run outside request handling; if it serves a request, requests from a session lose their key at this hop.',
        ],
        [
          'error',
          'web calls catalog here without the route headers: fetch(…) passes them on only depending on `config.propagate`, so requests from the session lose their key at this hop.',
        ],
      ],
    );
    assert.deepEqual(said(flagAndStartup, 'typescript'), [
      { callee: 'fetch', kind: 'missing', inRequest: false, fixable: false },
      { callee: 'fetch', kind: 'conditional', inRequest: true, fixable: true },
    ]);
  });

  it('fixes every flagged call into valid code that the check then accepts', () => {
    const cases = [
      [httpMissing, 'javascript'],
      [fetchBehindEnv, 'javascript'],
      [axiosMissing, 'javascript'],
      [httpsHelper, 'javascript'],
      [typescript, 'typescript'],
      [flagAndStartup, 'typescript'],
    ] as const;
    for (const [src, lang] of cases) {
      const fixed = fixAll(src, lang);
      assert.notEqual(fixed, src);
      assert.equal(scriptSyntaxErrors(fixed, lang), '', fixed);
      const left = said(fixed, lang).filter((s) => s.kind !== 'forwards' && s.inRequest);
      assert.deepEqual(left, [], fixed);
    }
  });

  it("offers OpenTelemetry's propagators where the file imports its API, as valid code the check accepts", () => {
    const [call] = outboundCalls(otelApi, 'typescript');
    assert.ok(call.fix && call.otelFix);
    const fixed = fixAll(otelApi, 'typescript', 'otelFix');
    assert.match(
      fixed,
      /headers: \(\(\) => \{ const carrier = \{\}; api\.propagation\.inject\(api\.context\.active\(\), carrier\); return carrier; \}\)\(\)/,
    );
    assert.equal(scriptSyntaxErrors(fixed, 'typescript'), '');
    assert.deepEqual(
      outboundCalls(fixed, 'typescript').map((c) => c.forwarding),
      [{ kind: 'forwards', how: 'otel' }],
    );
  });
});
