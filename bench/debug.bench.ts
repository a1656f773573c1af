// bench: needs-cluster
// Breakpoints in the cluster: how long from "Debug" to attached (tunnel open, debugger answering,
// breakpoint verified), and from a routed request sent to the `stopped` event, over several runs.
// Python (catalog): a DAP client through the tunnel, as VS Code talks to debugpy. Node (ratings): the
// same steps at the CDP level that js-debug takes (target list, WebSocket, Debugger.enable,
// setBreakpointByUrl; then Debugger.paused). Requests come from a pod inside the cluster through the
// session's route (kubectl exec: its own start-up is part of the request figure, measured alone as a
// baseline). Figures only; nothing here passes or fails on time.
import './target';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import { join } from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import WebSocket from 'ws';
import { openDebugTunnel } from '../src/debug/debug-copy';
import {
  attachWithBreakpoint,
  debugFixture,
  type DebugFixture,
  demoWorkspace,
  getFromPodAsync,
  lineOf,
  within,
} from '../test/integration/debug/fixtures';
import { type Figure, percentile, report } from './lib';

const runs = 8;
const figures: Figure[] = [];
const fig = (metric: string, value: number, unit = 'ms', baseline?: string, baseline_value?: number) =>
  figures.push({ bench: 'debug', metric, value, unit, ...(baseline ? { baseline, baseline_value } : {}) });
const summarize = (name: string, samples: number[], baseline?: [string, number[]]) => {
  fig(`${name} p50`, percentile(samples, 50), 'ms', baseline?.[0], baseline ? percentile(baseline[1], 50) : undefined);
  fig(`${name} p99`, percentile(samples, 99), 'ms', baseline?.[0], baseline ? percentile(baseline[1], 99) : undefined);
};

/** A routed request that is answered at once (no breakpoint): what the exec-from-a-pod path costs by itself. */
async function requestBaseline(fx: DebugFixture, url: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = await getFromPodAsync(fx.shop.namespace, fx.client, url, { 'x-devlane-route': fx.routeKey });
    if (r.status !== 200) throw new Error(`${url}: ${r.status} ${JSON.stringify(r.body)}`);
    out.push(performance.now() - t);
  }
  return out;
}

async function python(): Promise<void> {
  const fx = await debugFixture('bench-dbg-py', 'catalog', 'bench-py');
  const appPy = join(demoWorkspace, 'catalog/app.py');
  const line = lineOf(readFileSync(appPy, 'utf8'), 'self.send_json(200, {"route"');
  const attach: number[] = [];
  const stop: number[] = [];
  try {
    const baseline = await requestBaseline(fx, 'http://catalog/products');
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const plan = await fx.prepare();
      const tunnel = await openDebugTunnel(fx.conn, plan, fx.logger);
      const dc = new DebugClient('node', 'unused', 'python');
      try {
        await dc.start(tunnel.port);
        const bps = await attachWithBreakpoint(dc, plan, tunnel, appPy, line);
        if (!bps.body.breakpoints[0]?.verified) throw new Error('breakpoint not verified');
        attach.push(performance.now() - t0);
        const t1 = performance.now();
        const routed = getFromPodAsync(fx.shop.namespace, fx.client, 'http://catalog/products', {
          'x-devlane-route': fx.routeKey,
        });
        const stopped = (await within(dc.waitForEvent('stopped'), 60_000, 'the stopped event')) as {
          body: { threadId: number };
        };
        stop.push(performance.now() - t1);
        await dc.setBreakpointsRequest({ source: { path: appPy }, breakpoints: [] });
        await dc.continueRequest({ threadId: stopped.body.threadId });
        await routed;
        await within(dc.disconnectRequest({}), 10_000, 'disconnect');
      } finally {
        await within(dc.stop(), 5_000, 'the client to stop').catch(() => undefined);
        tunnel.dispose();
      }
    }
    summarize('python: Debug to attached, breakpoint verified', attach);
    summarize('python: routed request sent to stopped', stop, ['routed request answered (no breakpoint)', baseline]);
  } finally {
    await fx.dispose();
  }
}

/* eslint-disable @typescript-eslint/no-explicit-any */
function getJson(port: number, path: string): Promise<any> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let b = '';
        res.on('data', (d) => (b += d));
        res.on('end', () => resolve(JSON.parse(b)));
      })
      .on('error', reject);
  });
}

class Cdp {
  private id = 0;
  private readonly waiters = new Map<number, (m: any) => void>();
  private readonly events = new Map<string, (m: any) => void>();
  constructor(private readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const m = JSON.parse(String(d));
      if (m.id !== undefined) this.waiters.get(m.id)?.(m);
      else this.events.get(m.method)?.(m.params);
    });
  }
  call(method: string, params: Record<string, unknown> = {}): Promise<any> {
    const id = ++this.id;
    return new Promise((resolve, reject) => {
      this.waiters.set(id, (m) => (m.error ? reject(new Error(`${method}: ${m.error.message}`)) : resolve(m.result)));
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }
  once(method: string): Promise<any> {
    return new Promise((resolve) => this.events.set(method, resolve));
  }
}

async function node(): Promise<void> {
  const fx = await debugFixture('bench-dbg-node', 'ratings', 'bench-node');
  const line = lineOf(
    readFileSync(join(demoWorkspace, 'ratings/server.js'), 'utf8'),
    "res.writeHead(200, { 'content-type': 'application/json' });",
  );
  const attach: number[] = [];
  const stop: number[] = [];
  try {
    const baseline = await requestBaseline(fx, 'http://ratings/ratings/p-1');
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const plan = await fx.prepare();
      const tunnel = await openDebugTunnel(fx.conn, plan, fx.logger);
      let ws: WebSocket | undefined;
      try {
        const [target] = await getJson(tunnel.port, '/json/list');
        ws = new WebSocket(`ws://127.0.0.1:${tunnel.port}${new URL(target.webSocketDebuggerUrl).pathname}`);
        await new Promise((resolve, reject) => ws!.once('open', resolve).once('error', reject));
        const cdp = new Cdp(ws);
        await cdp.call('Runtime.enable');
        await cdp.call('Debugger.enable');
        const bp = await cdp.call('Debugger.setBreakpointByUrl', { lineNumber: line - 1, urlRegex: 'server\\.js$' });
        if (!bp.locations?.length) throw new Error('breakpoint not resolved');
        await cdp.call('Runtime.runIfWaitingForDebugger');
        attach.push(performance.now() - t0);
        const t1 = performance.now();
        const paused = cdp.once('Debugger.paused');
        const routed = getFromPodAsync(fx.shop.namespace, fx.client, 'http://ratings/ratings/p-1', {
          'x-devlane-route': fx.routeKey,
        });
        await paused;
        stop.push(performance.now() - t1);
        await cdp.call('Debugger.removeBreakpoint', { breakpointId: bp.breakpointId });
        await cdp.call('Debugger.resume');
        await routed;
        await cdp.call('Debugger.disable');
      } finally {
        ws?.close();
        tunnel.dispose();
      }
    }
    summarize('node (CDP, as js-debug): Debug to attached, breakpoint resolved', attach);
    summarize('node (CDP): routed request sent to paused', stop, ['routed request answered (no breakpoint)', baseline]);
  } finally {
    await fx.dispose();
  }
}

async function main(): Promise<void> {
  await python();
  await node();
  report(figures);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
