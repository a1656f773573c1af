// A stand-in pod network for Service network tests: each "pod" is a plain server on the host
// (HTTP answering with its name and the headers it got, WebSocket echo, or raw TCP echo), and
// PodNetwork.connect() dials the server registered for podIP:port.

import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Store } from '../../../../sandbox/apiserver/store';
import type { KObject, PodNetwork } from '../../../../sandbox/core/types';

export class FakePods implements PodNetwork {
  private readonly routes = new Map<string, number>();
  private readonly servers: net.Server[] = [];

  async connect(podIP: string, host: string, port: number): Promise<Duplex> {
    const hostPort = this.routes.get(`${podIP}:${port}`);
    if (host !== podIP && host !== '127.0.0.1')
      throw Object.assign(new Error(`EHOSTUNREACH ${host}`), { code: 'EHOSTUNREACH' });
    if (!hostPort) throw Object.assign(new Error(`connect ECONNREFUSED ${podIP}:${port}`), { code: 'ECONNREFUSED' });
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port: hostPort });
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
  }

  /** An HTTP pod: answers JSON {pod, method, url, headers}; upgrades to a WebSocket that echoes `<pod>:<message>`. */
  async http(podIP: string, port: number, name: string): Promise<void> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.stringify({
          pod: name,
          method: req.method,
          url: req.url,
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        });
        res.writeHead(200, { 'content-type': 'application/json', 'x-pod': name });
        res.end(body);
      });
    });
    const wss = new WebSocketServer({ noServer: true });
    server.on('upgrade', (req, socket, head) => {
      wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (m) => ws.send(`${name}:${m.toString()}`)));
    });
    await this.listen(server, podIP, port);
  }

  /** A raw TCP pod: writes `<name>|` and then echoes. */
  async tcp(podIP: string, port: number, name: string): Promise<void> {
    const server = net.createServer((s) => {
      s.write(`${name}|`);
      s.pipe(s);
      s.on('error', () => s.destroy());
    });
    await this.listen(server, podIP, port);
  }

  private async listen(server: net.Server, podIP: string, port: number): Promise<void> {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    this.routes.set(`${podIP}:${port}`, (server.address() as net.AddressInfo).port);
    this.servers.push(server);
  }

  async close(): Promise<void> {
    for (const s of this.servers) {
      (s as http.Server).closeAllConnections?.();
      await new Promise((r) => s.close(r));
    }
  }
}

export function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'dl-net-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A pod object, made Running and Ready (or not) with the given IP through the status subresource. */
export function runPod(
  store: Store,
  ns: string,
  name: string,
  labels: Record<string, string>,
  ip: string,
  ready = true,
  ports: { name: string; containerPort: number }[] = [],
): KObject {
  const pod = store.create('pods', ns, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels },
    spec: { containers: [{ name: 'c', image: 'x', ports }] },
  });
  return setReady(store, pod, ready, ip);
}

export function setReady(store: Store, pod: KObject, ready: boolean, ip?: string): KObject {
  const cur = store.get('pods', pod.metadata.namespace, pod.metadata.name!);
  const status = {
    phase: 'Running',
    podIP: ip ?? cur.status.podIP,
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
  };
  return store.update('pods', cur.metadata.namespace, { ...cur, status }, { subresource: 'status' });
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  json: { pod: string; url: string; headers: Record<string, string>; body: string } | undefined;
  text: string;
}

export function get(
  host: string,
  port: number,
  path = '/',
  headers: Record<string, string> = {},
  agent?: http.Agent,
  method = 'GET',
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, path, headers, agent, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json, text });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** One raw TCP exchange: connect, optionally send, collect until `until` appears or the peer closes. */
export function tcpExchange(
  target: { host: string; port: number } | { path: string },
  send: string,
  until: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(target as net.NetConnectOpts);
    let got = '';
    s.on('data', (d) => {
      got += d.toString();
      if (got.includes(until)) {
        s.destroy();
        resolve(got);
      }
    });
    s.on('connect', () => send && s.write(send));
    s.on('error', reject);
    s.on('close', () => resolve(got));
  });
}
