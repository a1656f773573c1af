// An in-process node agent on a fresh Store, with a stub scheduler (sets spec.nodeName on create),
// a stub Service network (tests add ports pointing at their own unix-socket servers), and a plain
// HTTP server routing pods/log|exec|portforward to the agent's streams, so client-node can talk to it.

import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { Store } from '../../../../sandbox/apiserver/store';
import type { KObject, ServiceNetwork, ServicePort } from '../../../../sandbox/core/types';
import { startNodeAgent, type NodeAgent } from '../../../../sandbox/node/agent';

export const NODE = 'sandbox-node';

export class StubServices implements ServiceNetwork {
  portsList: ServicePort[] = [];
  hostsText = '';
  private readonly listeners = new Set<() => void>();
  ports(): ServicePort[] {
    return this.portsList;
  }
  hosts(): string {
    return this.hostsText;
  }
  onChange(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  set(ports: ServicePort[], hosts: string): void {
    this.portsList = ports;
    this.hostsText = hosts;
    for (const l of this.listeners) l();
  }
}

export interface Harness {
  store: Store;
  agent: NodeAgent;
  services: StubServices;
  dir: string;
  kc: KubeConfig;
  url: string;
  createPod(pod: Partial<KObject> & { metadata: KObject['metadata']; spec: KObject['spec'] }, ns?: string): KObject;
  waitPod(name: string, pred: (p: KObject) => boolean, what: string, ns?: string, timeoutMs?: number): Promise<KObject>;
  events(name: string, ns?: string): KObject[];
  stop(): Promise<void>;
}

let octet = 200 + (process.pid % 40);

export async function startHarness(): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'devlane-node-test-'));
  const store = new Store();
  store.admit.push((op, info, obj) => {
    if (op === 'create' && info.key === 'pods' && !obj.spec?.nodeName) obj.spec = { ...obj.spec, nodeName: NODE };
  });
  store.create('namespaces', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  const services = new StubServices();
  const agent = await startNodeAgent({
    api: store,
    nodeName: NODE,
    stateDir: join(dir, 'state'),
    imagesDir: join(__dirname, '../../../../../sandbox/images'),
    block: { octet: octet++ },
    services,
  });
  const server = http.createServer((req, res) => {
    const u = new URL(req.url!, 'http://x');
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/.exec(u.pathname);
    const pod = m && store.tryGet('pods', m[1], m[2]);
    if (!pod) {
      res.writeHead(404).end();
      return;
    }
    agent.streams.log(pod, u.searchParams, req, res);
  });
  server.on('upgrade', (req, socket, head) => {
    const u = new URL(req.url!, 'http://x');
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|portforward)$/.exec(u.pathname);
    const pod = m && store.tryGet('pods', m[1], m[2]);
    if (!m || !pod) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    if (m[3] === 'exec') agent.streams.exec(pod, u.searchParams, req, socket, head);
    else agent.streams.portforward(pod, u.searchParams, req, socket, head);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: url, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'x' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return {
    store,
    agent,
    services,
    dir,
    kc,
    url,
    createPod(pod, ns = 'default') {
      return store.create('pods', ns, { apiVersion: 'v1', kind: 'Pod', ...pod } as KObject);
    },
    waitPod(name, pred, what, ns = 'default', timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      return new Promise((resolve, reject) => {
        const tick = () => {
          const p = store.tryGet('pods', ns, name);
          if (p && pred(p)) return resolve(p);
          if (Date.now() > deadline) {
            return reject(
              new Error(
                `pod ${ns}/${name} never got to: ${what}; last status: ${JSON.stringify(p?.status)}; events: ${JSON.stringify(
                  store
                    .list('events', ns)
                    .items.filter((e) => e.involvedObject.name === name)
                    .map((e) => `${e.reason}: ${e.message}`),
                )}`,
              ),
            );
          }
          setTimeout(tick, 50);
        };
        tick();
      });
    },
    events(name, ns = 'default') {
      return store.list('events', ns).items.filter((e) => e.involvedObject.name === name);
    },
    async stop() {
      await agent.stop();
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function containerStatus(p: KObject, name: string): KObject | undefined {
  return (p.status?.containerStatuses ?? []).find((c: KObject) => c.name === name);
}

export function condition(p: KObject, type: string): string | undefined {
  return (p.status?.conditions ?? []).find((c: KObject) => c.type === type)?.status;
}
