// Breakpoints in a Go developer copy (stock, a binary on a scratch image in production) through the
// debug tunnel. The copy runs on the Go toolchain image with a `build` mapping: the synced source is
// built in the copy and run under dlv (Delve's headless server on 127.0.0.1 in the pod). A DAP
// client speaks to Delve as the editor does, through DelveRelay: a breakpoint in the LOCAL file
// (a folder of this test's own, so the local and the container's paths differ) stops a routed
// request there, with the local path in the stack, a local's value, goroutines, step into / out /
// over; continue gets the routed answer. Leaving while paused lets the request finish and stops no
// later one. A save rebuilds and restarts the program under a new dlv: the old connection ends
// (what the editor re-attaches on) and attaching again stops at the breakpoint in the new code.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { goImage } from '../../../src/core/sync/build';
import { openDebugTunnel } from '../../../src/debug/debug-copy';
import type { DebugTunnel } from '../../../src/debug/tunnel';
import { readMapping, startServiceSync, type ServiceSyncHandle } from '../../../src/sync/service-sync';
import { needsCluster, until } from '../../helpers/cluster';
import { REPO } from '../../helpers/sandbox';
import {
  attachWithBreakpoint,
  debugFixture,
  type DebugFixture,
  getFromPodAsync,
  lineOf,
  longSignal,
  relayServer,
  tryConnect,
  within,
} from './fixtures';

describe('debugging a Go copy (stock) through the tunnel', needsCluster, () => {
  const workspace = mkdtempSync(join(tmpdir(), 'devlane-go-debug-'));
  const mainGo = join(workspace, 'stock/main.go');
  let fx: DebugFixture;
  let sync: ServiceSyncHandle | undefined;
  const routed = (product = 'p-1') =>
    getFromPodAsync(fx.shop.namespace, fx.client, `http://stock/stock/${product}`, { 'x-devlane-route': fx.routeKey });

  before(async () => {
    cpSync(join(REPO, 'sandbox/demo/src/stock'), join(workspace, 'stock'), { recursive: true });
    mkdirSync(join(workspace, '.vscode'));
    writeFileSync(
      join(workspace, '.vscode/devlane.json'),
      JSON.stringify({
        version: 1,
        services: { stock: { localPath: 'stock', remotePath: '/src', action: 'build', devImage: goImage() } },
      }),
    );
    const mapping = await readMapping(workspace, 'stock');
    fx = await debugFixture('dl-dbg-go', 'stock', 'dbg-go', { sync: mapping, workspaceFolder: workspace });
    sync = await startServiceSync(
      {
        api: fx.conn.objects,
        namespace: fx.shop.namespace,
        session: fx.session,
        service: 'stock',
        workspaceFolder: workspace,
        logger: fx.logger,
      },
      longSignal(),
    );
    // The first sync, the first build (the standard library too, for the debugger: no optimisation) and the program under dlv.
    await until(
      'the copy to answer a routed request with the program it built',
      async () => (await routed()).body?.copy === 'devlane:dbg-go',
      600_000,
    );
  });
  after(async () => {
    sync?.dispose();
    await fx?.dispose();
    rmSync(workspace, { recursive: true, force: true });
  });

  /** Tunnel, relay and client, attached with one breakpoint at `line` of the local main.go. */
  async function attach(line: number) {
    const plan = await fx.prepare();
    const tunnel: DebugTunnel = await openDebugTunnel(fx.conn, plan, fx.logger);
    const relay = await relayServer(tunnel.port);
    const dc = new DebugClient('node', 'unused', 'go');
    await dc.start(relay.port);
    const bps = await attachWithBreakpoint(dc, plan, tunnel, mainGo, line);
    return {
      plan,
      tunnel,
      dc,
      bps,
      dispose: async () => {
        await within(dc.stop(), 5_000, 'the debug client to stop').catch(() => undefined);
        relay.close();
        tunnel.dispose();
      },
    };
  }

  it('stops a routed request at a breakpoint in the local file, with locals, goroutines and steps, and answers after continue', async () => {
    const source = readFileSync(mainGo, 'utf8');
    // In the handler, once `product` is set, at a call of one of the program's own functions (to step into).
    const answerLine = lineOf(source, 'body := answeredBy()');
    const s = await attach(answerLine);
    try {
      assert.equal(s.plan.target.spec.runtime, 'go');
      assert.deepEqual(s.plan.mapping, {
        localRoot: join(workspace, 'stock'),
        remoteRoot: '/src',
        from: 'sync-mapping',
      });
      assert.deepEqual(
        s.bps.body.breakpoints.map((b) => [b.verified, b.line]),
        [[true, answerLine]],
      );
      const answer = routed();
      const stopped = (await within(s.dc.waitForEvent('stopped'), 60_000, 'the stopped event')) as {
        body: { reason: string; threadId: number };
      };
      assert.equal(stopped.body.reason, 'breakpoint');
      const thread = stopped.body.threadId;
      const stack = await s.dc.stackTraceRequest({ threadId: thread, levels: 5 });
      const top = stack.body.stackFrames[0];
      assert.equal(top.source?.path, mainGo, 'the frame names the local file');
      assert.equal(top.line, answerLine);
      assert.equal(top.name, 'main.stock');

      const scopes = await s.dc.scopesRequest({ frameId: top.id });
      const locals = await s.dc.variablesRequest({ variablesReference: scopes.body.scopes[0].variablesReference });
      assert.equal(locals.body.variables.find((v) => v.name === 'product')?.value, '"p-1"');
      const route = await s.dc.evaluateRequest({
        expression: 'r.Header["X-Devlane-Route"][0]',
        frameId: top.id,
        context: 'repl',
      });
      assert.equal(route.body.result, `"${fx.routeKey}"`);
      // Goroutines are the threads: the stopped one among the server's others.
      const threads = await s.dc.threadsRequest();
      assert.ok(threads.body.threads.some((t) => t.id === thread));
      assert.ok(threads.body.threads.length > 1, `goroutines: ${threads.body.threads.length}`);

      // The stop is awaited from before the request: it may come in the same read as the response.
      const frameAfter = async (step: () => Promise<unknown>) => {
        const stop = s.dc.waitForEvent('stopped');
        await step();
        const ev = (await within(stop, 30_000, 'the step to stop')) as { body: { threadId: number } };
        const st = await s.dc.stackTraceRequest({ threadId: ev.body.threadId, levels: 1 });
        return st.body.stackFrames[0];
      };
      const inside = await frameAfter(() => s.dc.stepInRequest({ threadId: thread }));
      assert.equal(inside.name, 'main.answeredBy', 'step into');
      const back = await frameAfter(() => s.dc.stepOutRequest({ threadId: thread }));
      assert.equal(back.name, 'main.stock', 'step out');
      const over = await frameAfter(() => s.dc.nextRequest({ threadId: thread }));
      assert.equal(over.name, 'main.stock');
      assert.ok(over.line > back.line, `step over went on from line ${back.line} to ${over.line}`);

      await within(s.dc.continueRequest({ threadId: thread }), 10_000, 'continue to be answered');
      const a = await answer;
      assert.equal(a.status, 200);
      assert.equal(a.body.copy, 'devlane:dbg-go');
      assert.equal(a.body.units, 12);

      // Leave while paused: the request finishes, and no breakpoint stops the next one.
      const paused = routed('p-3');
      await within(s.dc.waitForEvent('stopped'), 60_000, 'the second stop');
      await within(s.dc.disconnectRequest({}), 15_000, 'disconnect to be answered');
      assert.equal((await paused).body.units, 3);
      const next = await within(routed('p-2'), 30_000, 'a routed request after leaving');
      assert.equal(next.status, 200);
      assert.equal(next.body.units, 0);
    } finally {
      await s.dispose();
    }
    assert.equal(
      await tryConnect(s.tunnel.port),
      'ECONNREFUSED',
      'nothing listens on the tunnel port after it is closed',
    );
  });

  it('after a save rebuilds and restarts the program, the old connection ends and attaching again stops in the new code', async () => {
    const before = readFileSync(mainGo, 'utf8');
    const line = lineOf(before, 'writeJSON(w, http.StatusOK, body)');
    const first = await attach(line);
    let second: Awaited<ReturnType<typeof attach>> | undefined;
    try {
      const terminated = first.dc.waitForEvent('terminated', 300_000);
      writeFileSync(mainGo, before.replace('body["product"] = product', 'body["product"] = product + "!"'));
      await within(terminated, 300_000, 'the connection to the old dlv to end when the program restarted');
      await until('the rebuilt program to answer', async () => (await routed()).body?.product === 'p-1!', 300_000);
      second = await attach(line);
      const answer = routed();
      const stopped = (await within(second.dc.waitForEvent('stopped'), 60_000, 'the stopped event')) as {
        body: { threadId: number };
      };
      const stack = await second.dc.stackTraceRequest({ threadId: stopped.body.threadId, levels: 1 });
      const scopes = await second.dc.scopesRequest({ frameId: stack.body.stackFrames[0].id });
      const locals = await second.dc.variablesRequest({
        variablesReference: scopes.body.scopes[0].variablesReference,
      });
      assert.equal(locals.body.variables.find((v) => v.name === 'product')?.value, '"p-1"');
      await second.dc.continueRequest({ threadId: stopped.body.threadId });
      assert.equal((await answer).body.product, 'p-1!');
      await within(second.dc.disconnectRequest({}), 15_000, 'disconnect to be answered');
    } finally {
      writeFileSync(mainGo, before);
      await first.dispose();
      await second?.dispose();
    }
  });
});
