// The fixes run: the demo's catalog (with DROP_ROUTE_HEADERS=1, the switch that makes it drop the
// route headers) and a small Node service are started for real, asked with the route headers, and
// the fake service they call tells whether the headers reached it, before and after the fix.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type SourceLanguage } from '../../../../src/doctor/propagation/index';
import { httpGet } from '../../../helpers/http';
import { fixAll } from './check';

const route = {
  'x-devlane-route': 'K3Y0000000000000000000000000000A',
  baggage: 'devlane=K3Y0000000000000000000000000000A',
};
const catalogSource = readFileSync(join(__dirname, '../../../../../sandbox/demo/src/catalog/app.py'), 'utf8');

const nodeService = `'use strict';
const http = require('http');
const UPSTREAM = process.env.UPSTREAM_URL;
http.createServer(async (req, res) => {
  if (req.url === '/fetch') {
    const r = await fetch(\`\${UPSTREAM}/ratings/p-1\`);
    return res.end(await r.text());
  }
  http.get(\`\${UPSTREAM}/ratings/p-1\`, (up) => {
    up.resume();
    up.on('end', () => res.end('ok'));
  });
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
`;

/** The fake ratings and stock services: answers every request and keeps the headers it got. */
class Upstream {
  readonly seen: IncomingHttpHeaders[] = [];
  private readonly server: Server = createServer((req, res) => {
    this.seen.push(req.headers);
    res.setHeader('content-type', 'application/json');
    res.end('{"stars": 4}');
  });
  async start(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  stop = () => new Promise<void>((done) => this.server.close(() => done()));
}

async function freePort(): Promise<number> {
  const s = createNetServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as AddressInfo).port;
  await new Promise((done) => s.close(done));
  return port;
}

/** Starts `file` with `command`, waits until it says it listens (or exits), and returns it. */
async function serve(command: string, file: string, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(command, [file], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    const seen = (d: Buffer) => ((out += d), /listening/.test(out) && resolve());
    child.stdout!.on('data', seen);
    child.stderr!.on('data', (d: Buffer) => (out += d));
    child.on('exit', (code) => reject(new Error(`${command} ${file} exited (${code}) before listening:\n${out}`)));
  });
  await ready;
  return child;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = once(child, 'exit');
  child.kill('SIGTERM');
  await gone;
}

describe('propagation fixes, run for real', () => {
  const upstream = new Upstream();
  let upstreamUrl = '';
  let dir = '';
  before(async () => {
    upstreamUrl = await upstream.start();
    dir = mkdtempSync(join(tmpdir(), 'devlane-propagation-'));
  });
  after(async () => {
    await upstream.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** What the upstream got when the service in `src` was asked `path` with the route headers. */
  async function headersPassed(src: string, lang: SourceLanguage, path: string): Promise<IncomingHttpHeaders> {
    const file = join(dir, lang === 'python' ? 'app.py' : 'server.js');
    writeFileSync(file, src);
    const port = await freePort();
    const env = {
      PORT: String(port),
      DROP_ROUTE_HEADERS: '1',
      RATINGS_URL: upstreamUrl,
      STOCK_URL: upstreamUrl,
      UPSTREAM_URL: upstreamUrl,
    };
    const child = await serve(lang === 'python' ? 'python3' : process.execPath, file, env);
    try {
      upstream.seen.length = 0;
      const res = await httpGet(`http://127.0.0.1:${port}${path}`, route);
      assert.equal(res.status, 200, res.body);
      assert.ok(upstream.seen.length > 0, 'the service called the upstream');
      return upstream.seen[upstream.seen.length - 1];
    } finally {
      await stopProcess(child);
    }
  }

  it("the demo's catalog with DROP_ROUTE_HEADERS=1 drops the route headers, and passes them on once fixed", async () => {
    const before = await headersPassed(catalogSource, 'python', '/products');
    assert.equal(before['x-devlane-route'], undefined);
    assert.equal(before.baggage, undefined);
    const fixed = fixAll(catalogSource, 'python');
    assert.notEqual(fixed, catalogSource);
    const afterFix = await headersPassed(fixed, 'python', '/products');
    assert.equal(afterFix['x-devlane-route'], route['x-devlane-route']);
    assert.equal(afterFix.baggage, route.baggage);
  });

  for (const path of ['/http', '/fetch']) {
    it(`a Node service's ${path.slice(1)} call passes the route headers on once fixed`, async () => {
      const before = await headersPassed(nodeService, 'javascript', path);
      assert.equal(before['x-devlane-route'], undefined);
      const afterFix = await headersPassed(fixAll(nodeService, 'javascript'), 'javascript', path);
      assert.equal(afterFix['x-devlane-route'], route['x-devlane-route']);
      assert.equal(afterFix.baggage, route.baggage);
    });
  }
});
