// Runs a command in a container over the API server's WebSocket exec protocol (v4/v5 channel
// framing: one channel byte per message; 1 stdout, 2 stderr, 3 a Status saying how it ended) and
// collects its output. For short commands (reload a router, read a file), not interactive shells.
import WebSocket from 'ws';
import type { ExecResult } from './api';
import type { KubeHttp } from './http';
import { onUpgradeRefused } from './upgrade';
import { ClusterError, classifyError } from '../core/errors';

const protocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
/** Output beyond this is dropped (the result says so): these commands are meant to be small. */
const maxOutput = 1 << 20;

export interface ExecRequest {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
}

export async function execCommand(http: KubeHttp, req: ExecRequest, signal: AbortSignal): Promise<ExecResult> {
  const action = `run "${req.command.join(' ')}" in ${req.namespace}/${req.pod} (${req.container})`;
  const opts = await http.requestOptions(action);
  signal.throwIfAborted();
  const q = new URLSearchParams({ container: req.container, stdout: 'true', stderr: 'true' });
  for (const c of req.command) q.append('command', c);
  const base = http.target.server.replace(/\/+$/, '').replace(/^http/, 'ws');
  const url = `${base}/api/v1/namespaces/${encodeURIComponent(req.namespace)}/pods/${encodeURIComponent(req.pod)}/exec?${q}`;
  const ws = new WebSocket(url, protocols, opts as WebSocket.ClientOptions);
  return new Promise<ExecResult>((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let status:
      | {
          status?: string;
          message?: string;
          reason?: string;
          details?: { causes?: { reason?: string; message?: string }[] };
        }
      | undefined;
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () => {
      ws.terminate();
      settle(() => reject(new ClusterError('cancelled', `Cancelled: ${action}`, '')));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    ws.on('message', (data: Buffer) => {
      const channel = data[0];
      const payload = data.subarray(1);
      if (channel === 1 || channel === 2) {
        size += payload.length;
        if (size <= maxOutput) (channel === 1 ? out : err).push(payload);
      } else if (channel === 3) {
        try {
          status = JSON.parse(payload.toString('utf8'));
        } catch {
          status = { status: 'Failure', message: payload.toString('utf8') };
        }
      }
    });
    ws.on('close', () =>
      settle(() => {
        const exitCause = status?.details?.causes?.find((c) => c.reason === 'ExitCode');
        let exitCode = 0;
        if (status && status.status !== 'Success') {
          if (exitCause) exitCode = Number(exitCause.message) || 1;
          else
            return reject(
              new ClusterError(
                'server',
                `Could not ${action}: ${status.message ?? 'the exec stream failed'}`,
                'Check that the pod is running and has the command.',
              ),
            );
        }
        resolve({ exitCode, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
      }),
    );
    onUpgradeRefused(ws, http, action, (e) => settle(() => reject(e)));
    ws.on('error', (e) => settle(() => reject(classifyError(e, http.errorContext(action)))));
  });
}
