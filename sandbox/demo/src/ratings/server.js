// ratings: the leaf service of the demo shop. Answers the rating of a product as JSON and says
// which copy answered (a Devlane developer copy carries DEVLANE_SESSION in its environment).
'use strict';
const http = require('http');

const PORT = Number(process.env.PORT || 8080);
const VERSION = process.env.VERSION || 'v1';
const STARS = { 'p-1': 4.5, 'p-2': 3.9, 'p-3': 4.8 };

function answeredBy() {
  return {
    service: 'ratings',
    version: VERSION,
    copy: process.env.DEVLANE_SESSION ? `devlane:${process.env.DEVLANE_SESSION}` : 'original',
    pod: process.env.HOSTNAME || 'unknown',
  };
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://ratings');
  if (url.pathname === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    return res.end('ok');
  }
  const m = /^\/ratings\/([\w-]+)$/.exec(url.pathname);
  if (!m) {
    res.writeHead(404, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ error: `no route for ${url.pathname}`, ...answeredBy() }));
  }
  const product = m[1];
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({
    product,
    stars: STARS[product] ?? null,
    route: req.headers['x-devlane-route'] || null,
    ...answeredBy(),
  }));
});

server.listen(PORT, () => console.log(`ratings ${VERSION} listening on :${PORT}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
