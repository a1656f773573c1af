// A long-lived exec with stdin over the API server's WebSocket exec protocol (v5/v4 channel
// framing): for a process that keeps running and reads commands (the sync receiver). Writes
// respect the socket's buffer (a write resolves once the data is below the high-water mark),
// pings keep hardened clusters from cutting the stream while it is idle, and `close()` ends it.
import WebSocket from 'ws';
import type { ExecStream, ExecStreamEnd, ExecStreamRequest } from './api';
import type { KubeHttp } from './http';
import { onUpgradeRefused } from './upgrade';
import { ClusterError, classifyError } from '../core/errors';

const protocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
const highWater = 4 << 20;
const pingMs = 30_000;

export async function openExecStream(http: KubeHttp, req: ExecStreamRequest, signal: AbortSignal): Promise<ExecStream> {
  const action = `run "${req.command[0]}" in ${req.namespace}/${req.pod} (${req.container})`;
  const opts = await http.requestOptions(action);
  signal.throwIfAborted();
  const q = new URLSearchParams({ container: req.container, stdin: 'true', stdout: 'true', stderr: 'true' });
  for (const c of req.command) q.append('command', c);
  const base = http.target.server.replace(/\/+$/, '').replace(/^http/, 'ws');
  const url = `${base}/api/v1/namespaces/${encodeURIComponent(req.namespace)}/pods/${encodeURIComponent(req.pod)}/exec?${q}`;
  const ws = new WebSocket(url, protocols, opts as WebSocket.ClientOptions);
  ws.binaryType = 'nodebuffer';

  const stdout = new Output();
  const stderr = new Output();
  const closeListeners: ((end: ExecStreamEnd) => void)[] = [];
  let ended: ExecStreamEnd | undefined;
  let status:
    { status?: string; message?: string; details?: { causes?: { reason?: string; message?: string }[] } } | undefined;
  const timers: { ping?: NodeJS.Timeout } = {};
  const finish = (end: ExecStreamEnd) => {
    if (ended) return;
    ended = end;
    clearInterval(timers.ping);
    signal.removeEventListener('abort', onAbort);
    for (const l of closeListeners) l(end);
  };
  const onAbort = () => ws.terminate();
  signal.addEventListener('abort', onAbort, { once: true });

  // Listening starts before 'open': frames that come in the same read as the upgrade response are
  // emitted before any code after `await` runs, and output before the caller subscribes is kept.
  ws.on('message', (data: Buffer) => {
    const channel = data[0];
    const payload = data.subarray(1);
    if (channel === 1) stdout.emit(payload);
    else if (channel === 2) stderr.emit(payload);
    else if (channel === 3) {
      try {
        status = JSON.parse(payload.toString('utf8'));
      } catch {
        status = { status: 'Failure', message: payload.toString('utf8') };
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    onUpgradeRefused(ws, http, action, reject);
    ws.once('error', (e) => reject(classifyError(e, http.errorContext(action))));
    ws.once('close', () =>
      reject(
        new ClusterError(
          'server',
          `Could not ${action}: the server closed the stream`,
          'Check that the pod is running.',
        ),
      ),
    );
  }).catch((e: unknown) => {
    signal.removeEventListener('abort', onAbort);
    throw e;
  });

  ws.on('error', (e) => finish({ error: classifyError(e, http.errorContext(action)) }));
  ws.on('close', () => {
    if (!status)
      return finish({
        error: new ClusterError(
          'unreachable',
          `The stream to ${req.namespace}/${req.pod} was cut`,
          'It is opened again.',
        ),
      });
    if (status.status === 'Success') return finish({ exitCode: 0 });
    const code = status.details?.causes?.find((c) => c.reason === 'ExitCode')?.message;
    if (code !== undefined) return finish({ exitCode: Number(code) || 1, message: status.message });
    finish({
      error: new ClusterError(
        'server',
        `Could not ${action}: ${status.message ?? 'the exec stream failed'}`,
        'Check that the pod is running and has the command.',
      ),
    });
  });
  const ping = (timers.ping = setInterval(() => {
    if (ws.readyState === ws.OPEN) ws.ping();
  }, pingMs));
  ping.unref();

  const stream: ExecStream = {
    write(data: Buffer | string): Promise<void> {
      if (ended || ws.readyState !== ws.OPEN)
        return Promise.reject(
          new ClusterError('unreachable', `The stream to ${req.namespace}/${req.pod} is closed`, 'It is opened again.'),
        );
      const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      return new Promise<void>((resolve, reject) => {
        ws.send(Buffer.concat([Buffer.from([0]), buf]), (err) => {
          if (err) return reject(classifyError(err, http.errorContext(action)));
          if (ws.bufferedAmount < highWater) return resolve();
          const wait = () => (ended || ws.bufferedAmount < highWater ? resolve() : setTimeout(wait, 5));
          wait();
        });
      });
    },
    endInput() {
      // v5 only: [255, 0] closes the process's stdin. On v4 the stream has to be closed instead.
      if (ws.readyState === ws.OPEN && ws.protocol === 'v5.channel.k8s.io') ws.send(Buffer.from([255, 0]));
      else ws.close(1000);
    },
    onStdout: (l) => stdout.listen(l),
    onStderr: (l) => stderr.listen(l),
    onClose: (l) => {
      if (ended) l(ended);
      else closeListeners.push(l);
    },
    close() {
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(1000);
      setTimeout(() => ws.terminate(), 1000).unref();
    },
  };
  return stream;
}

/** One output channel: its listeners, and what came before the first listener, handed to it. */
class Output {
  private readonly listeners: ((d: Buffer) => void)[] = [];
  private pending: Buffer[] | undefined = [];

  emit(d: Buffer): void {
    if (this.pending) this.pending.push(d);
    else for (const l of this.listeners) l(d);
  }

  listen(l: (d: Buffer) => void): void {
    this.listeners.push(l);
    const early = this.pending;
    this.pending = undefined;
    for (const d of early ?? []) l(d);
  }
}
