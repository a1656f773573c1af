// A WebSocket upgrade the API server refused (404 pod not found, 403 forbidden, ...) answers with a
// Kubernetes Status body instead of switching protocols: read it and report the ClusterError that
// names what was tried. Shared by exec, the long-lived exec stream and port-forward.
import type WebSocket from 'ws';
import { type ClusterError, classifyError } from '../core/errors';
import type { KubeHttp } from './http';

export function onUpgradeRefused(
  ws: WebSocket,
  http: KubeHttp,
  action: string,
  fail: (err: ClusterError) => void,
): void {
  ws.once('unexpected-response', (_req, res) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => {
      let body: { message?: string } | undefined;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = undefined;
      }
      const err = Object.assign(new Error(body?.message ?? `HTTP ${res.statusCode}`), {
        statusCode: res.statusCode,
        body,
      });
      // Report first: terminating emits 'close', which must find the outcome already settled.
      fail(classifyError(err, http.errorContext(action)));
      ws.terminate();
    });
  });
}
