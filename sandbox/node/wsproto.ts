// The channel framing of Kubernetes' WebSocket streams (k8s.io/apiserver wsstream): each message is
// one channel byte then data (binary protocols), or an ASCII digit then base64 (base64 protocols).

import type { Duplex } from 'node:stream';
import type * as http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ApiError } from '../core/types';

export interface Negotiated {
  protocol: string;
  binary: boolean;
  /** v4 and later: the error channel carries a metav1.Status JSON. */
  statusJson: boolean;
  /** v5: the client may half-close a channel with [255, channel]. */
  closeSignal: boolean;
}

export const EXEC_PROTOCOLS: Record<string, Omit<Negotiated, 'protocol'>> = {
  'v5.channel.k8s.io': { binary: true, statusJson: true, closeSignal: true },
  'v4.channel.k8s.io': { binary: true, statusJson: true, closeSignal: false },
  'v4.base64.channel.k8s.io': { binary: false, statusJson: true, closeSignal: false },
  'v3.channel.k8s.io': { binary: true, statusJson: false, closeSignal: false },
  'v2.channel.k8s.io': { binary: true, statusJson: false, closeSignal: false },
  'channel.k8s.io': { binary: true, statusJson: false, closeSignal: false },
  'base64.channel.k8s.io': { binary: false, statusJson: false, closeSignal: false },
};

/** As the kubelet's port-forward websocket: plain (no subprotocol), v4 binary and v4 base64. */
export const PORTFORWARD_PROTOCOLS: Record<string, Omit<Negotiated, 'protocol'>> = {
  'v4.channel.k8s.io': { binary: true, statusJson: false, closeSignal: false },
  'v4.base64.channel.k8s.io': { binary: false, statusJson: false, closeSignal: false },
  'portforward.k8s.io': { binary: true, statusJson: false, closeSignal: false },
};

/** The first protocol the client offers that we serve (wsstream's handshake), or the unnamed binary one. */
export function negotiate(offered: string[], table: Record<string, Omit<Negotiated, 'protocol'>>): Negotiated {
  for (const p of offered) if (table[p]) return { protocol: p, ...table[p] };
  return { protocol: '', binary: true, statusJson: false, closeSignal: false };
}

export function offeredProtocols(req: http.IncomingMessage): string[] {
  const h = req.headers['sec-websocket-protocol'];
  const text = Array.isArray(h) ? h.join(',') : (h ?? '');
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, n: Negotiated): Promise<WebSocket> {
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: () => n.protocol || false,
  });
  return new Promise((resolve) => wss.handleUpgrade(req, socket, head, (ws) => resolve(ws)));
}

/** Refuses an upgrade with a plain HTTP Status response, as the API server does before switching protocols. */
export function refuse(socket: Duplex, e: ApiError): void {
  const body = JSON.stringify(e.status());
  const text = { 400: 'Bad Request', 404: 'Not Found', 500: 'Internal Server Error' }[e.code] ?? 'Error';
  socket.end(
    `HTTP/1.1 ${e.code} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export function frame(n: Negotiated, channel: number, data: Buffer): Buffer | string {
  if (n.binary) return Buffer.concat([Buffer.from([channel]), data]);
  return String.fromCharCode(48 + channel) + data.toString('base64');
}

export function unframe(n: Negotiated, msg: Buffer, isBinary: boolean): { channel: number; data: Buffer } | undefined {
  if (isBinary || n.binary) {
    if (msg.length < 1) return undefined;
    return { channel: msg[0], data: msg.subarray(1) };
  }
  const text = msg.toString('utf8');
  if (text.length < 1) return undefined;
  return { channel: text.charCodeAt(0) - 48, data: Buffer.from(text.slice(1), 'base64') };
}

/** Sends with flow control: pauses `source` while the socket's buffer is large. */
export function sendFlow(ws: WebSocket, payload: Buffer | string, source?: { pause(): void; resume(): void }): void {
  if (ws.readyState !== ws.OPEN) return;
  ws.send(payload, () => {
    if (ws.bufferedAmount < 256 * 1024) source?.resume();
  });
  if (ws.bufferedAmount >= 1024 * 1024) source?.pause();
}
