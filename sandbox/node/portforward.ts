// pods/portforward over WebSocket, as the kubelet serves it: for the i-th requested port, channel 2i
// carries data and 2i+1 errors; each channel first gets the port as uint16 little-endian. The
// connection goes to localhost:PORT inside the pod (any port, declared or not); a failed dial is
// reported on the error channel; the socket closes when every forwarded connection has ended.

import type * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { ApiError, type KObject } from '../core/types';
import type { PodWorker } from './pod';
import type { StreamGuard } from './streams';
import {
  PORTFORWARD_PROTOCOLS,
  frame,
  negotiate,
  offeredProtocols,
  refuse,
  sendFlow,
  unframe,
  upgrade,
} from './wsproto';

export function parsePorts(query: URLSearchParams): number[] {
  const raw = [...query.getAll('ports'), ...query.getAll('port')];
  if (raw.length === 0) throw new ApiError(400, 'BadRequest', 'query parameter "port" is required');
  const out: number[] = [];
  for (const r of raw) {
    if (!r) throw new ApiError(400, 'BadRequest', 'query parameter "port" cannot be empty');
    for (const p of r.split(',')) {
      const n = Number(p);
      if (!/^\d+$/.test(p) || n > 65535)
        throw new ApiError(
          400,
          'BadRequest',
          `unable to parse "${p}" as a port: strconv.ParseUint: parsing "${p}": invalid syntax`,
        );
      if (n < 1) throw new ApiError(400, 'BadRequest', `port "${p}" must be > 0`);
      out.push(n);
    }
  }
  return out;
}

export async function servePortForward(
  worker: PodWorker | undefined,
  pod: KObject,
  query: URLSearchParams,
  req: http.IncomingMessage,
  socket: Duplex,
  head: Buffer,
  guard: StreamGuard,
): Promise<void> {
  let ports: number[];
  try {
    ports = parsePorts(query);
    if (!worker?.infra || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') {
      throw new ApiError(
        400,
        'BadRequest',
        `unable to upgrade connection: pod ${pod.metadata.name} is not running (phase ${pod.status?.phase ?? 'Pending'})`,
      );
    }
  } catch (e) {
    guard.close();
    refuse(socket, e as ApiError);
    return;
  }
  const n = negotiate(offeredProtocols(req), PORTFORWARD_PROTOCOLS);
  const ws = await upgrade(req, socket, head, n);
  const conns: (Duplex | undefined)[] = [];
  const pending: Buffer[][] = ports.map(() => []);
  let open = ports.length;
  let closed = false;
  const closeAll = () => {
    if (closed) return;
    closed = true;
    guard.close();
    for (const c of conns) c?.destroy();
    if (ws.readyState === ws.OPEN) ws.close(1000);
  };
  const stopCut = guard.onCut(() => {
    for (const c of conns) c?.destroy();
    ws.terminate();
  });
  ws.on('close', () => {
    stopCut();
    closeAll();
  });
  ws.on('error', closeAll);
  ws.on('ping', () => guard.touch());
  ws.on('pong', () => guard.touch());
  const oneDone = () => {
    open--;
    if (open <= 0) closeAll();
  };
  ports.forEach((port, i) => {
    const portBytes = Buffer.alloc(2);
    portBytes.writeUInt16LE(port, 0);
    sendFlow(ws, frame(n, 2 * i, portBytes));
    sendFlow(ws, frame(n, 2 * i + 1, portBytes));
    worker
      .connect('127.0.0.1', port)
      .then((conn) => {
        if (closed) {
          conn.destroy();
          return;
        }
        conns[i] = conn;
        for (const b of pending[i]) conn.write(b);
        pending[i] = [];
        conn.on('data', (d: Buffer) => {
          guard.touch();
          sendFlow(ws, frame(n, 2 * i, d), conn);
        });
        conn.on('error', () => conn.destroy());
        conn.on('close', oneDone);
      })
      .catch((e: Error) => {
        const msg = `error forwarding port ${port} to pod ${pod.metadata.name}, uid ${pod.metadata.uid}: failed to connect to localhost:${port} inside namespace "${pod.metadata.namespace}/${pod.metadata.name}", IPv4: ${e.message.replace(/^dial tcp /, 'dial tcp4 ')} `;
        sendFlow(ws, frame(n, 2 * i + 1, Buffer.from(msg)));
        oneDone();
      });
  });
  ws.on('message', (raw: Buffer, isBinary: boolean) => {
    guard.touch();
    const m = unframe(n, raw, isBinary);
    if (!m || m.channel % 2 !== 0) return;
    const i = m.channel / 2;
    if (i >= ports.length || m.data.length === 0) return;
    const conn = conns[i];
    if (conn) conn.write(m.data);
    else pending[i]?.push(Buffer.from(m.data));
  });
}
