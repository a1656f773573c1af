// Shared by the debug tests and the benchmark: the demo shop in a namespace of its own with a
// session holding one service (its copy runs with the debugger on 127.0.0.1 in the pod), a client
// pod to send routed requests from inside the cluster (asynchronously: the copy will be paused),
// and a DAP attach to debugpy through the tunnel.
import { spawn } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import * as net from 'node:net';
import { join } from 'node:path';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { ClusterConnection } from '../../../src/cluster/api';
import { DapReader, encodeDap } from '../../../src/debug/dap-stream';
import { DelveRelay } from '../../../src/debug/delve-relay';
import { KubeClusters } from '../../../src/cluster/clusters';
import type { ServiceSync } from '../../../src/core/sync/config';
import { type DebugPlan, prepareDebug } from '../../../src/debug/debug-copy';
import type { DebugTunnel } from '../../../src/debug/tunnel';
import { Sessions } from '../../../src/session/sessions';
import { MemoryLogger } from '../../helpers/cluster';
import { contexts, kubeconfig } from '../../helpers/kubectl';
import { REPO } from '../../helpers/sandbox';
import { startClientPod } from '../../helpers/session';
import { createShop, type Shop } from '../../helpers/shop';

/** The demo's source folder, with its .vscode/devlane.json (catalog → /app, ratings → /app). */
export const demoWorkspace = join(REPO, 'sandbox/demo/src');

export const longSignal = (ms = 240_000): AbortSignal => {
  const s = AbortSignal.timeout(ms);
  setMaxListeners(200, s);
  return s;
};

export interface DebugFixture {
  shop: Shop;
  client: string;
  session: string;
  service: string;
  routeKey: string;
  conn: ClusterConnection;
  logger: MemoryLogger;
  prepare(): Promise<DebugPlan>;
  dispose(): Promise<void>;
}

/**
 * The shop (Devlane's router, no mesh), a client pod, and alice's session holding `service`; with
 * `sync`, the copy is made for that mapping and paths map from `workspaceFolder` (default: the demo's).
 */
export async function debugFixture(
  prefix: string,
  service: string,
  session: string,
  opts: { sync?: ServiceSync; workspaceFolder?: string } = {},
): Promise<DebugFixture> {
  const workspaceFolder = opts.workspaceFolder ?? demoWorkspace;
  const shop = await createShop(prefix, { istio: false });
  const logger = new MemoryLogger();
  const clusters = new KubeClusters({ setting: () => kubeconfig(), env: {} }, { logger, idleMs: 0 });
  const conn = clusters.connection(contexts.alice);
  const sessions = new Sessions({
    api: conn.objects,
    context: contexts.alice,
    namespace: shop.namespace,
    participant: conn.context.user,
    logger,
  });
  try {
    const client = await startClientPod(shop.namespace);
    const started = await sessions.start({ service, session, sync: opts.sync }, longSignal());
    return {
      shop,
      client,
      session,
      service,
      routeKey: started.routeKey,
      conn,
      logger,
      prepare: () =>
        prepareDebug(
          {
            api: conn.objects,
            copy: { namespace: shop.namespace, session, service },
            workspaceFolder,
            logger,
          },
          longSignal(60_000),
        ),
      dispose: async () => {
        started.heartbeat.dispose();
        await sessions.stop(session, longSignal()).catch(() => undefined);
        clusters.dispose();
        shop.cleanup();
      },
    };
  } catch (err) {
    clusters.dispose();
    shop.cleanup();
    throw err;
  }
}

/** GET from the client pod, without blocking this process (a paused copy answers late). */
export function getFromPodAsync(
  namespace: string,
  pod: string,
  url: string,
  headers: Record<string, string> = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<{ status: number; body: any }> {
  const script = `require('http').get(process.argv[1], { headers: JSON.parse(process.argv[2]) }, (r) => { let b = ''; r.on('data', (d) => (b += d)); r.on('end', () => process.stdout.write(JSON.stringify({ status: r.statusCode, body: b }))); }).on('error', (e) => process.stdout.write(JSON.stringify({ status: 0, body: e.message })));`;
  return new Promise((resolve, reject) => {
    const child = spawn(
      'kubectl',
      [
        '--kubeconfig',
        kubeconfig(),
        '--context',
        contexts.admin,
        'exec',
        '-n',
        namespace,
        pod,
        '--',
        'node',
        '-e',
        script,
        url,
        JSON.stringify(headers),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      try {
        const r = JSON.parse(out);
        let body = r.body;
        try {
          body = JSON.parse(r.body);
        } catch {
          // text
        }
        resolve({ status: r.status, body });
      } catch {
        reject(new Error(`kubectl exec (${code}): ${err}${out}`));
      }
    });
  });
}

/** The 1-based line of the first line of `file` that contains `text`. */
export function lineOf(fileText: string, text: string): number {
  const i = fileText.split('\n').findIndex((l) => l.includes(text));
  if (i < 0) throw new Error(`"${text}" is not in the file`);
  return i + 1;
}

/**
 * initialize → attach (with the plan's pathMappings) → setBreakpoints → configurationDone, in the
 * order debugpy expects (it answers attach only after configurationDone).
 */
export async function attachWithBreakpoint(
  dc: DebugClient,
  plan: DebugPlan,
  tunnel: DebugTunnel,
  file: string,
  line: number,
): Promise<DebugProtocol.SetBreakpointsResponse> {
  const step = <T>(p: Promise<T>, what: string) => within(p, 30_000, what);
  await step(
    dc.initializeRequest({
      adapterID: 'debugpy',
      clientID: 'devlane-test',
      pathFormat: 'path',
      linesStartAt1: true,
      columnsStartAt1: true,
    }),
    'initialize',
  );
  const attachArgs = {
    ...plan.adapter.config({ ...plan.mapping, port: tunnel.port, name: 'test' }),
  } as DebugProtocol.AttachRequestArguments;
  const initialized = dc.waitForEvent('initialized');
  const attached = dc.attachRequest(attachArgs);
  await step(initialized, 'the initialized event');
  const bps = await step(
    dc.setBreakpointsRequest({ source: { path: file }, breakpoints: [{ line }] }),
    'setBreakpoints',
  );
  await step(dc.configurationDoneRequest(), 'configurationDone');
  await step(attached, 'the attach response');
  return bps;
}

/** `p`, or a failure naming what did not happen: DebugClient has no timeouts when it connects to a server, and a cut tunnel leaves a request pending for ever. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>(
      (_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)),
    ),
  ]).finally(() => clearTimeout(timer));
}

/** Resolves with the error code of a connection to 127.0.0.1:port ('connected' when something listens). */
export function tryConnect(port: number, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, host);
    s.once('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

/** A local DAP server for the test's client: each connection goes to Delve through its own DelveRelay, as the editor's does. */
export async function relayServer(tunnelPort: number): Promise<{ port: number; close(): void }> {
  const relays = new Set<DelveRelay>();
  const server = net.createServer((sock) => {
    const relay = new DelveRelay(tunnelPort, {
      send: (m) => sock.write(encodeDap(m)),
      // As the editor's adapter does (src/ui/debug/relay-adapter.ts): the session ends.
      onClose: () => sock.end(encodeDap({ seq: 0, type: 'event', event: 'terminated' })),
    });
    relays.add(relay);
    const reader = new DapReader(
      (m) => relay.fromEditor(m),
      () => sock.destroy(),
    );
    sock.on('data', (d: Buffer) => reader.push(d));
    sock.on('close', () => {
      relay.dispose();
      relays.delete(relay);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const r of relays) r.dispose();
      server.close();
    },
  };
}
