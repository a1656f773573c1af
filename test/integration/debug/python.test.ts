// Breakpoints in a Python developer copy (catalog, under debugpy) through the debug tunnel, with a
// plain DAP client: a breakpoint in the LOCAL file stops a routed request at that line, with the
// local path in the stack, variables readable; un-keyed requests are answered by the original
// meanwhile; continue gets the routed answer. The tunnel survives an idle pause longer than the
// cluster's idle-stream limit (sandbox fault), and closing it leaves nothing listening.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { openDebugTunnel } from '../../../src/debug/debug-copy';
import { needsCluster, needsSandbox } from '../../helpers/cluster';
import { fault } from '../../helpers/sandbox';
import {
  attachWithBreakpoint,
  debugFixture,
  type DebugFixture,
  demoWorkspace,
  getFromPodAsync,
  lineOf,
  tryConnect,
  within,
} from './fixtures';

const appPy = join(demoWorkspace, 'catalog/app.py');
const source = readFileSync(appPy, 'utf8');
/** The line that answers a /products request: reached once per request, with `products` set. */
const answerLine = lineOf(source, 'self.send_json(200, {"route"');

describe('debugging a Python copy (catalog) through the tunnel', needsCluster, () => {
  let fx: DebugFixture;
  before(async () => {
    fx = await debugFixture('dl-dbg-py', 'catalog', 'dbg-py');
  });
  after(async () => fx?.dispose());

  it('stops a routed request at a breakpoint in the local file, shows variables, and answers after continue', async () => {
    const plan = await fx.prepare();
    assert.equal(plan.target.spec.runtime, 'python');
    assert.deepEqual(plan.mapping, {
      localRoot: join(demoWorkspace, 'catalog'),
      remoteRoot: '/app',
      from: 'sync-mapping',
    });
    const tunnel = await openDebugTunnel(fx.conn, plan, fx.logger);
    const dc = new DebugClient('node', 'unused', 'python');
    try {
      await dc.start(tunnel.port);
      const bps = await attachWithBreakpoint(dc, plan, tunnel, appPy, answerLine);
      assert.deepEqual(
        bps.body.breakpoints.map((b) => [b.verified, b.line]),
        [[true, answerLine]],
      );

      const routed = getFromPodAsync(fx.shop.namespace, fx.client, 'http://catalog/products', {
        'x-devlane-route': fx.routeKey,
      });
      const stopped = (await within(dc.waitForEvent('stopped'), 60_000, 'the stopped event')) as {
        body: { reason: string; threadId: number };
      };
      assert.equal(stopped.body.reason, 'breakpoint');
      const stack = await dc.stackTraceRequest({ threadId: stopped.body.threadId, levels: 5 });
      const top = stack.body.stackFrames[0];
      assert.equal(top.source?.path, appPy, 'the frame names the local file');
      assert.equal(top.line, answerLine);
      assert.equal(top.name, 'do_GET');

      const scopes = await dc.scopesRequest({ frameId: top.id });
      const locals = await dc.variablesRequest({ variablesReference: scopes.body.scopes[0].variablesReference });
      const names = locals.body.variables.map((v) => v.name);
      assert.ok(names.includes('products') && names.includes('incoming'), names.join(', '));
      const key = await dc.evaluateRequest({
        expression: 'incoming["x-devlane-route"]',
        frameId: top.id,
        context: 'watch',
      });
      assert.equal(key.body.result, `'${fx.routeKey}'`);
      const count = await dc.evaluateRequest({ expression: 'len(products)', frameId: top.id, context: 'watch' });
      assert.equal(count.body.result, '3');

      // The copy is paused; everyone else's requests go to the original and are answered.
      const plain = await getFromPodAsync(fx.shop.namespace, fx.client, 'http://catalog/products');
      assert.equal(plain.status, 200);
      assert.equal(plain.body.copy, 'original');

      await within(dc.continueRequest({ threadId: stopped.body.threadId }), 10_000, 'continue to be answered');
      const answer = await routed;
      assert.equal(answer.status, 200);
      assert.equal(answer.body.copy, 'devlane:dbg-py');
      assert.equal(answer.body.products.length, 3);
      await within(dc.disconnectRequest({}), 10_000, 'disconnect to be answered');
    } finally {
      await within(dc.stop(), 5_000, 'the debug client to stop').catch(() => undefined);
      tunnel.dispose();
    }
    assert.equal(
      await tryConnect(tunnel.port),
      'ECONNREFUSED',
      'nothing listens on the tunnel port after it is closed',
    );
  });

  it('keeps the tunnel through a pause longer than the cluster cuts idle streams', needsSandbox, async () => {
    const idleMs = 2_000;
    const plan = await fx.prepare();
    // Pings every 500 ms on the debug tunnel; a plain forward to the copy's HTTP port (30 s pings) shows that the cut is real.
    const tunnel = await openDebugTunnel(fx.conn, plan, fx.logger, { keepaliveMs: 500 });
    const control = await fx.conn.portForward({
      namespace: fx.shop.namespace,
      pod: plan.target.pod,
      remotePort: 8080,
      localPort: 0,
    });
    const dc = new DebugClient('node', 'unused', 'python');
    let controlSocket: net.Socket | undefined;
    try {
      await dc.start(tunnel.port);
      await attachWithBreakpoint(dc, plan, tunnel, appPy, answerLine);
      // kubectl exec sends no pings, so the cut may end this request's exec stream: only the copy's side matters here.
      const routed = getFromPodAsync(fx.shop.namespace, fx.client, 'http://catalog/products', {
        'x-devlane-route': fx.routeKey,
      }).catch(() => undefined);
      const stopped = (await within(dc.waitForEvent('stopped'), 60_000, 'the stopped event')) as {
        body: { threadId: number };
      };

      await fault({ kind: 'idle-stream-timeout', ms: idleMs });
      const sock = (controlSocket = net.connect(control.localPort, '127.0.0.1'));
      const controlClosed = new Promise<boolean>((resolve) => sock.once('close', () => resolve(true)));
      await new Promise((r) => sock.once('connect', r));
      // Paused, and nothing crosses either tunnel for three times the idle limit.
      await new Promise((r) => setTimeout(r, idleMs * 3));
      const cut = await Promise.race([controlClosed, new Promise<boolean>((r) => setTimeout(() => r(false), 20_000))]);
      assert.ok(cut, 'the idle stream without pings was cut by the cluster (else this test proves nothing)');

      const stack = await within(
        dc.stackTraceRequest({ threadId: stopped.body.threadId, levels: 1 }),
        15_000,
        'the debugger to answer through the tunnel after the idle pause',
      );
      assert.equal(stack.body.stackFrames[0].line, answerLine, 'the debugger still answers after the idle pause');
      await dc.setBreakpointsRequest({ source: { path: appPy }, breakpoints: [] });
      await within(dc.continueRequest({ threadId: stopped.body.threadId }), 10_000, 'continue to be answered');
      await routed;
      await fault({ kind: 'idle-stream-timeout', ms: 0 });
      const again = await getFromPodAsync(fx.shop.namespace, fx.client, 'http://catalog/products', {
        'x-devlane-route': fx.routeKey,
      });
      assert.equal(again.status, 200);
      assert.equal(again.body.copy, 'devlane:dbg-py', 'the copy runs on, still attached');
      await within(dc.disconnectRequest({}), 10_000, 'disconnect to be answered');
    } finally {
      await fault({ kind: 'idle-stream-timeout', ms: 0 }).catch(() => undefined);
      controlSocket?.destroy();
      await within(dc.stop(), 5_000, 'the debug client to stop').catch(() => undefined);
      tunnel.dispose();
      control.dispose();
    }
    assert.equal(await tryConnect(tunnel.port), 'ECONNREFUSED');
    assert.equal(await tryConnect(control.localPort), 'ECONNREFUSED');
  });
});
