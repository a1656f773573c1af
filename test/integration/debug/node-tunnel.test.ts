// The Node inspector of a developer copy (ratings) through the debug tunnel, at the protocol js-debug
// speaks (CDP): the target list, a WebSocket to the target, Runtime.evaluate in the copy's process.
// The inspector listens on 127.0.0.1 in the pod only: from inside the pod it is not reachable on the
// pod's own IP. Closing the tunnel leaves nothing listening.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { openDebugTunnel } from '../../../src/debug/debug-copy';
import { needsCluster, until as eventually } from '../../helpers/cluster';
import { kubectlJson, kubectlOk } from '../../helpers/kubectl';
import { debugFixture, type DebugFixture, tryConnect } from './fixtures';
import { getLocal } from '../../helpers/http';

/* eslint-disable @typescript-eslint/no-explicit-any */
async function getJson(port: number, path: string): Promise<any> {
  const r = await getLocal(port, path);
  try {
    return JSON.parse(r.body);
  } catch (e) {
    throw new Error(`${path}: ${r.status} ${r.body}: ${(e as Error).message}`, { cause: e });
  }
}

/** One CDP call over an open WebSocket. */
function cdp(ws: WebSocket, id: number, method: string, params: Record<string, unknown>): Promise<any> {
  return new Promise((resolve, reject) => {
    const onMessage = (data: WebSocket.RawData) => {
      const m = JSON.parse(String(data));
      if (m.id !== id) return;
      ws.off('message', onMessage);
      if (m.error) reject(new Error(`${method}: ${m.error.message}`));
      else resolve(m.result);
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ id, method, params }));
  });
}

/** From inside the copy's own container: can it connect to `host`:`port`? (NODE_OPTIONS cleared, so this node opens no inspector of its own.) */
function connectFromPod(namespace: string, pod: string, container: string, host: string, port = 9229): string {
  const script = `require('net').connect(${port}, process.argv[1]).on('connect', function () { console.log('connected'); this.destroy(); }).on('error', (e) => console.log(e.code))`;
  return kubectlOk([
    'exec',
    '-n',
    namespace,
    pod,
    '-c',
    container,
    '--',
    'sh',
    '-c',
    'NODE_OPTIONS= exec node -e "$0" "$1"',
    script,
    host,
  ]).trim();
}

describe('the Node inspector of a copy (ratings) through the tunnel', needsCluster, () => {
  let fx: DebugFixture;
  before(async () => {
    fx = await debugFixture('dl-dbg-node', 'ratings', 'dbg-node');
  });
  after(async () => fx?.dispose());

  it('lists the target, evaluates in the copy over CDP, and closes without leaving a listener', async () => {
    const plan = await fx.prepare();
    assert.equal(plan.target.spec.runtime, 'node');
    assert.equal(plan.target.spec.port, 9229);
    assert.equal(plan.adapter.attach, 'child-session');
    const tunnel = await openDebugTunnel(fx.conn, plan, fx.logger);
    let ws: WebSocket | undefined;
    try {
      const targets = await getJson(tunnel.port, '/json/list');
      assert.equal(targets.length, 1, JSON.stringify(targets));
      assert.match(targets[0].url, /server\.js$/);
      // The inspector names its own address (127.0.0.1:9229 in the pod); the path is what identifies the target.
      const path = new URL(targets[0].webSocketDebuggerUrl).pathname;
      ws = new WebSocket(`ws://127.0.0.1:${tunnel.port}${path}`);
      await new Promise((resolve, reject) => ws!.once('open', resolve).once('error', reject));
      const r = await cdp(ws, 1, 'Runtime.evaluate', {
        expression: 'process.env.DEVLANE_SESSION + " " + process.cwd()',
        returnByValue: true,
      });
      assert.equal(r.result.value, 'dbg-node /app');
      const config = plan.adapter.config({ ...plan.mapping, port: tunnel.port, name: 'ratings' });
      assert.deepEqual(
        [config.type, config.port, config.remoteRoot, config.restart],
        ['pwa-node', tunnel.port, '/app', true],
      );
    } finally {
      ws?.close();
      tunnel.dispose();
    }
    assert.equal(
      await tryConnect(tunnel.port),
      'ECONNREFUSED',
      'nothing listens on the tunnel port after it is closed',
    );
  });

  it('reaches the new pod through the same local port when the copy is replaced', async () => {
    const plan = await fx.prepare();
    const tunnel = await openDebugTunnel(fx.conn, plan, fx.logger);
    const hostname = async () => {
      const [target] = await getJson(tunnel.port, '/json/list');
      const ws = new WebSocket(`ws://127.0.0.1:${tunnel.port}${new URL(target.webSocketDebuggerUrl).pathname}`);
      try {
        await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
        return (await cdp(ws, 1, 'Runtime.evaluate', { expression: 'process.env.HOSTNAME', returnByValue: true }))
          .result.value as string;
      } finally {
        ws.close();
      }
    };
    try {
      assert.equal(await hostname(), plan.target.pod);
      kubectlOk(['delete', 'pod', plan.target.pod, '-n', fx.shop.namespace, '--wait=false']);
      const next = await eventually(
        'a new copy pod whose inspector answers through the same tunnel',
        async () => {
          const h = await hostname().catch(() => undefined);
          return h && h !== plan.target.pod ? h : undefined;
        },
        120_000,
      );
      assert.notEqual(next, plan.target.pod);
      assert.equal(tunnel.pod, next, 'the tunnel follows the copy');
    } finally {
      tunnel.dispose();
    }
  });

  it('is not reachable on the pod network: the inspector listens on 127.0.0.1 in the pod only', async () => {
    const plan = await fx.prepare();
    const podIP = kubectlJson(['get', 'pod', plan.target.pod, '-n', fx.shop.namespace]).status?.podIP as string;
    assert.ok(podIP, 'the pod has an IP');
    assert.equal(
      connectFromPod(fx.shop.namespace, plan.target.pod, plan.target.spec.container, '127.0.0.1'),
      'connected',
      'listening on loopback',
    );
    assert.equal(
      connectFromPod(fx.shop.namespace, plan.target.pod, plan.target.spec.container, podIP),
      'ECONNREFUSED',
      `not on the pod IP ${podIP}`,
    );
    assert.equal(
      connectFromPod(fx.shop.namespace, plan.target.pod, plan.target.spec.container, podIP, 8080),
      'connected',
      'while the service itself is reachable there',
    );
  });
});
