// The editor's connection to Delve: everything passes both ways unchanged, except leaving, which
// must leave the copy's program running with no breakpoint of this client set (Delve's multi-client
// server keeps both as the client left them). First against a stand-in DAP server that records what
// it is sent; then, where dlv is on the PATH, against the real Delve running a Go program.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { delveArgv } from '../../../src/core/debug/runtime';
import { DapReader, type DapMessage, encodeDap } from '../../../src/debug/dap-stream';
import { DelveRelay } from '../../../src/debug/delve-relay';

/** A DAP server that answers every request with success and records it; `emit` sends an event. */
async function standIn(): Promise<{
  port: number;
  got: DapMessage[];
  emit(event: string, body: object): void;
  close(): Promise<void>;
}> {
  const got: DapMessage[] = [];
  let conn: Socket | undefined;
  let seq = 0;
  const server: Server = createServer((s) => {
    conn = s;
    const reader = new DapReader(
      (m) => {
        got.push(m);
        s.write(encodeDap({ seq: ++seq, type: 'response', request_seq: m.seq, command: m.command, success: true }));
        if (m.command === 'disconnect') s.end();
      },
      () => s.destroy(),
    );
    s.on('data', (d: Buffer) => reader.push(d));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    got,
    emit: (event, body) => conn?.write(encodeDap({ seq: ++seq, type: 'event', event, body })),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** A relay whose editor side collects what it is sent; `next(pred)` waits for such a message. */
function editor(port: number) {
  const seen: DapMessage[] = [];
  const waiters: { pred: (m: DapMessage) => boolean; resolve: (m: DapMessage) => void }[] = [];
  let closed!: () => void;
  const ended = new Promise<void>((r) => (closed = r));
  const relay = new DelveRelay(port, {
    send: (m) => {
      seen.push(m);
      for (const w of waiters.splice(0).filter((w) => !w.pred(m) || (w.resolve(m), false))) waiters.push(w);
    },
    onClose: () => closed(),
  });
  let seq = 0;
  const next = (pred: (m: DapMessage) => boolean, timeoutMs = 30_000) =>
    new Promise<DapMessage>((resolve, reject) => {
      const found = seen.find(pred);
      if (found) return resolve(found);
      const t = setTimeout(() => reject(new Error('the expected message did not come')), timeoutMs);
      waiters.push({ pred, resolve: (m) => (clearTimeout(t), resolve(m)) });
    });
  const request = (command: string, args: object = {}) => {
    const s = ++seq;
    relay.fromEditor({ seq: s, type: 'request', command, arguments: args });
    return next((m) => m.type === 'response' && m.request_seq === s);
  };
  return { relay, seen, next, request, ended };
}

describe('the Delve relay', () => {
  it('passes requests, responses and events through unchanged', async () => {
    const srv = await standIn();
    const ed = editor(srv.port);
    try {
      const r = await ed.request('threads');
      assert.equal(r.command, 'threads');
      assert.equal(r.success, true);
      srv.emit('output', { output: 'hi' });
      const out = await ed.next((m) => m.type === 'event' && m.event === 'output');
      assert.equal(out.body.output, 'hi');
      assert.deepEqual(
        srv.got.map((m) => [m.command, m.arguments]),
        [['threads', {}]],
      );
    } finally {
      ed.relay.dispose();
      await srv.close();
    }
  });

  it('before a disconnect, clears the breakpoints it set and resumes a paused program, then disconnects without ending it', async () => {
    const srv = await standIn();
    const ed = editor(srv.port);
    try {
      const main = { path: '/home/a/shop/stock/main.go' };
      const other = { path: '/home/a/shop/stock/other.go' };
      await ed.request('setBreakpoints', { source: main, breakpoints: [{ line: 12 }] });
      await ed.request('setBreakpoints', { source: other, breakpoints: [{ line: 3 }] });
      await ed.request('setBreakpoints', { source: other, breakpoints: [] }); // removed again by the editor
      await ed.request('setFunctionBreakpoints', { breakpoints: [{ name: 'main.handler' }] });
      srv.emit('stopped', { reason: 'breakpoint', threadId: 7 });
      await ed.next((m) => m.event === 'stopped');
      const before = srv.got.length;

      const d = await ed.request('disconnect', { restart: false, terminateDebuggee: true });
      assert.equal(d.success, true);
      await ed.ended;
      assert.deepEqual(
        srv.got.slice(before).map((m) => [m.command, m.arguments]),
        [
          ['setBreakpoints', { source: main, breakpoints: [] }],
          ['setFunctionBreakpoints', { breakpoints: [] }],
          ['continue', { threadId: 7 }],
          ['disconnect', { restart: false, terminateDebuggee: false }],
        ],
      );
      assert.deepEqual(
        ed.seen.filter((m) => m.type === 'response').map((m) => m.command),
        ['setBreakpoints', 'setBreakpoints', 'setBreakpoints', 'setFunctionBreakpoints', 'disconnect'],
        "the relay's own requests are not answered to the editor",
      );
    } finally {
      ed.relay.dispose();
      await srv.close();
    }
  });

  it('does not resume a program that is running', async () => {
    const srv = await standIn();
    const ed = editor(srv.port);
    try {
      await ed.request('threads');
      srv.emit('stopped', { reason: 'breakpoint', threadId: 7 });
      await ed.next((m) => m.event === 'stopped');
      await ed.request('continue', { threadId: 7 });
      await ed.request('disconnect', {});
      assert.deepEqual(
        srv.got.map((m) => m.command),
        ['threads', 'continue', 'disconnect'],
      );
      assert.equal(srv.got[2].arguments.terminateDebuggee, false);
    } finally {
      ed.relay.dispose();
      await srv.close();
    }
  });
});

const dlv = spawnSync('dlv', ['version'], { encoding: 'utf8' }).status === 0 ? 'dlv' : undefined;
const go = spawnSync('go', ['version'], { encoding: 'utf8' }).status === 0 ? 'go' : undefined;

describe('the Delve relay with the real Delve', { skip: dlv && go ? false : 'needs go and dlv on the PATH' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'devlane-delve-'));
  const src = join(dir, 'src');
  const local = '/home/dev/shop/stock'; // where the editor has the files
  let delve: ReturnType<typeof spawn> | undefined;
  let port = 0;
  let appPort = 0;
  const get = (path: string, ms = 10_000) =>
    new Promise<string>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: appPort, path, timeout: ms }, (r) => {
        let b = '';
        r.on('data', (d) => (b += d));
        r.on('end', () => resolve(b));
      });
      req.on('timeout', () => req.destroy(new Error(`no answer to ${path} in ${ms} ms`)));
      req.on('error', reject);
    });
  const free = async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const p = (s.address() as AddressInfo).port;
    await new Promise((r) => s.close(r));
    return p;
  };

  before(async () => {
    spawnSync('mkdir', ['-p', src]);
    writeFileSync(join(src, 'go.mod'), 'module example.com/stock\n\ngo 1.26\n');
    writeFileSync(
      join(src, 'main.go'),
      [
        'package main',
        '',
        'import (',
        '\t"fmt"',
        '\t"net/http"',
        '\t"os"',
        ')',
        '',
        'func handler(w http.ResponseWriter, r *http.Request) {',
        '\titem := r.URL.Query().Get("item")',
        '\tfmt.Fprintf(w, "stock of %s: 3", item)',
        '}',
        '',
        'func main() {',
        '\thttp.HandleFunc("/", handler)',
        '\thttp.ListenAndServe("127.0.0.1:"+os.Args[1], nil)',
        '}',
        '',
      ].join('\n'),
    );
    const built = spawnSync('go', ['build', '-gcflags=all=-N -l', '-o', join(dir, 'app'), '.'], {
      cwd: src,
      encoding: 'utf8',
    });
    assert.equal(built.status, 0, built.stderr);
    port = await free();
    appPort = await free();
    delve = spawn(dlv!, delveArgv(join(dir, 'app'), [String(appPort)], port).slice(1), { stdio: 'ignore' });
    for (let i = 0; ; i++) {
      try {
        await get('/?item=warmup', 1_000);
        break;
      } catch (err) {
        if (i > 100) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  });
  after(() => {
    delve?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops at a breakpoint named by the local path, shows a local, and leaves the program running with no breakpoint', async () => {
    const ed = editor(port);
    try {
      await ed.request('initialize', {
        adapterID: 'go',
        pathFormat: 'path',
        linesStartAt1: true,
        columnsStartAt1: true,
      });
      const attached = ed.request('attach', { mode: 'remote', substitutePath: [{ from: local, to: src }] });
      await ed.next((m) => m.event === 'initialized');
      const bps = await ed.request('setBreakpoints', {
        source: { path: `${local}/main.go` },
        breakpoints: [{ line: 11 }],
      });
      assert.deepEqual(
        bps.body.breakpoints.map((b: { verified: boolean; line: number }) => [b.verified, b.line]),
        [[true, 11]],
      );
      await ed.request('configurationDone');
      assert.equal((await attached).success, true);

      const answer = get('/?item=apples', 30_000);
      const stopped = await ed.next((m) => m.event === 'stopped');
      assert.equal(stopped.body.reason, 'breakpoint');
      const stack = await ed.request('stackTrace', { threadId: stopped.body.threadId, levels: 1 });
      assert.equal(stack.body.stackFrames[0].source.path, `${local}/main.go`, 'the frame names the local file');
      assert.equal(stack.body.stackFrames[0].name, 'main.handler');
      const scopes = await ed.request('scopes', { frameId: stack.body.stackFrames[0].id });
      const locals = await ed.request('variables', { variablesReference: scopes.body.scopes[0].variablesReference });
      const item = locals.body.variables.find((v: { name: string }) => v.name === 'item');
      assert.equal(item?.value, '"apples"');

      // Leave while paused: the request is answered, and the next one is not stopped.
      await ed.request('disconnect', {});
      await ed.ended;
      assert.equal(await answer, 'stock of apples: 3');
      assert.equal(await get('/?item=pears'), 'stock of pears: 3', 'no breakpoint stops the program any more');
    } finally {
      ed.relay.dispose();
    }
  });
});
