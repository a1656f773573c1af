// web: the front of the demo shop. Serves a page a person can open and /api/products, which calls
// catalog, and /api/orders (GET lists, POST creates), which calls orders. Every outgoing call carries
// the incoming `x-devlane-route` and `baggage` headers on, which is what lets a Devlane session route
// a request through several services.
'use strict';
const http = require('http');

const PORT = Number(process.env.PORT || 8080);
const VERSION = process.env.VERSION || 'v1';
const CATALOG_URL = process.env.CATALOG_URL || 'http://catalog';
const ORDERS_URL = process.env.ORDERS_URL || 'http://orders';
const PROPAGATE = ['x-devlane-route', 'baggage'];

function answeredBy() {
  return {
    service: 'web',
    version: VERSION,
    copy: process.env.DEVLANE_SESSION ? `devlane:${process.env.DEVLANE_SESSION}` : 'original',
    pod: process.env.HOSTNAME || 'unknown',
  };
}

function getJson(url, incoming) {
  return callJson('GET', url, incoming).then((r) => r.body);
}

/** One call with the route headers passed on; resolves to the status and the parsed JSON answer. */
function callJson(method, url, incoming, payload) {
  const headers = {};
  for (const h of PROPAGATE) if (incoming[h]) headers[h] = incoming[h];
  if (payload !== undefined) headers['content-type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode, body: JSON.parse(body) });
        } catch {
          reject(new Error(`${url} answered ${res.statusCode} with non-JSON: ${body.slice(0, 200)}`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${url} did not answer within 5 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => (body += d));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

/** /api/orders: lists (GET) or creates (POST, JSON {customer, product, quantity}) orders through orders. */
async function orders(req, res) {
  try {
    const payload = req.method === 'POST' ? await readBody(req) : undefined;
    const answer = await callJson(req.method === 'POST' ? 'POST' : 'GET', `${ORDERS_URL}/orders`, req.headers, payload);
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ route: req.headers['x-devlane-route'] || null, ...answeredBy(), orders: answer.body }));
  } catch (err) {
    res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: err.message, ...answeredBy() }));
  }
}

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(data) {
  const rows = data.catalog.products.map((p) => `<tr><td>${escape(p.name)}</td><td>${escape(p.price)}</td>`
    + `<td>${escape(p.rating.stars)}</td><td>${escape(p.rating.copy)}</td></tr>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Devlane demo shop</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}td,th{padding:.3rem .8rem;text-align:left}</style></head>
<body><h1>Demo shop</h1>
<p>web: <b>${escape(data.copy)}</b> &middot; catalog: <b>${escape(data.catalog.copy)}</b></p>
<table><thead><tr><th>Product</th><th>Price</th><th>Stars</th><th>Rated by</th></tr></thead><tbody>${rows}</tbody></table>
</body></html>`;
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://web');
  if (url.pathname === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    return res.end('ok');
  }
  if (url.pathname === '/api/orders') return orders(req, res);
  if (url.pathname !== '/' && url.pathname !== '/api/products') {
    res.writeHead(404, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ error: `no route for ${url.pathname}`, ...answeredBy() }));
  }
  try {
    const catalog = await getJson(`${CATALOG_URL}/products`, req.headers);
    const data = { route: req.headers['x-devlane-route'] || null, ...answeredBy(), catalog };
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(page(data));
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(data));
  } catch (err) {
    res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: err.message, ...answeredBy() }));
  }
});

server.listen(PORT, () => console.log(`web ${VERSION} listening on :${PORT}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
