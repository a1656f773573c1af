// Starts the sandbox API server in-process on a fresh Store (pod streams stubbed: the node agent
// is not part of these tests), writes a kubeconfig, and runs the real kubectl against it.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Fault, KObject, PodStreams } from '../../../../sandbox/core/types';
import { kubeconfigYaml } from '../../../../sandbox/apiserver/kubeconfig';
import { startApiServer, type ApiServer } from '../../../../sandbox/apiserver/server';
import { Store } from '../../../../sandbox/apiserver/store';

export interface Harness {
  store: Store;
  server: ApiServer;
  dir: string;
  kubeconfig: string;
  faults: Fault[];
  kubectl(
    args: string[],
    o?: { as?: 'admin' | 'alice' | 'bob'; stdin?: string },
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  request(
    method: string,
    path: string,
    o?: { as?: 'admin' | 'alice' | 'bob'; body?: unknown; contentType?: string; accept?: string },
  ): Promise<{ status: number; body: KObject; text: string; headers: Record<string, unknown> }>;
  close(): Promise<void>;
}

export const stubPods: PodStreams = {
  log(pod, _q, _req, res) {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end(`log of ${pod.metadata.name}\n`);
  },
  exec(_pod, _q, _req, socket) {
    socket.end('HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\n\r\n');
  },
  portforward(_pod, _q, _req, socket) {
    socket.end('HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\n\r\n');
  },
};

export async function startHarness(o: { bookmarkIntervalMs?: number } = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-apiserver-test-'));
  const store = new Store();
  const faults: Fault[] = [];
  const server = await startApiServer({
    store,
    pods: stubPods,
    stateDir: join(dir, 'state'),
    nodeName: 'sandbox-node',
    onFault: (f) => void faults.push(f),
    ...o,
  });
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, kubeconfigYaml(server));
  const agent = new https.Agent({ ca: server.caCertPem, keepAlive: false });
  return {
    store,
    server,
    dir,
    kubeconfig,
    faults,
    kubectl(args, opts = {}) {
      const ctx = `sandbox-${opts.as ?? 'admin'}`;
      return new Promise((resolve) => {
        const child = execFile(
          '/usr/bin/kubectl',
          ['--context', ctx, ...args],
          { env: { ...process.env, KUBECONFIG: kubeconfig, HOME: dir }, timeout: 60_000 },
          (err, stdout, stderr) => {
            resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
          },
        );
        if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
      });
    },
    request(method, path, opts = {}) {
      return new Promise((resolve, reject) => {
        const u = new URL(path, server.url);
        const body =
          opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
        const req = https.request(
          u,
          {
            method,
            agent,
            headers: {
              authorization: `Bearer ${server.tokens[opts.as ?? 'admin']}`,
              ...(body !== undefined ? { 'content-type': opts.contentType ?? 'application/json' } : {}),
              ...(opts.accept ? { accept: opts.accept } : {}),
            },
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d) => (text += d));
            res.on('end', () => {
              let parsed: KObject = {} as KObject;
              try {
                parsed = JSON.parse(text);
              } catch {
                // not JSON
              }
              resolve({ status: res.statusCode ?? 0, body: parsed, text, headers: res.headers });
            });
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    },
    async close() {
      await server.close();
      agent.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
