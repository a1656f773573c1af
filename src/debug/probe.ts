// Is the debugger really there, at the far end of the tunnel? A short exchange in its own protocol:
// the Node inspector's HTTP `/json/version`, or a DAP `initialize` for debugpy and Delve (which
// answer it and carry on serving the next client). A refused port-forward closes the connection at once.
import * as http from 'node:http';
import * as net from 'node:net';
import type { DebugRuntime } from '../core/debug/runtime';
import { DapReader, encodeDap } from './dap-stream';

export type ProbeResult =
  { ok: true; detail: string } | { ok: false; reason: 'closed' | 'timeout' | 'unexpected'; detail: string };

export function probeDebugger(runtime: DebugRuntime, port: number, timeoutMs = 15_000): Promise<ProbeResult> {
  return runtime === 'node' ? probeInspector(port, timeoutMs) : probeDap(port, timeoutMs);
}

function probeInspector(port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const req = http.get(
      { host: '127.0.0.1', port, path: '/json/version', agent: false, timeout: timeoutMs },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => {
          try {
            const v = JSON.parse(body) as { Browser?: string; 'Protocol-Version'?: string };
            resolve(
              v.Browser
                ? { ok: true, detail: v.Browser }
                : { ok: false, reason: 'unexpected', detail: body.slice(0, 200) },
            );
          } catch {
            resolve({ ok: false, reason: 'unexpected', detail: `HTTP ${res.statusCode}: ${body.slice(0, 200)}` });
          }
        });
        res.on('error', (e) => resolve({ ok: false, reason: 'closed', detail: e.message }));
      },
    );
    req.on('timeout', () => {
      req.destroy();
      resolve({ ok: false, reason: 'timeout', detail: `no answer in ${timeoutMs} ms` });
    });
    req.on('error', (e) => resolve({ ok: false, reason: 'closed', detail: e.message }));
  });
}

function probeDap(port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let done = false;
    const finish = (r: ProbeResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(
      () => finish({ ok: false, reason: 'timeout', detail: `no answer to initialize in ${timeoutMs} ms` }),
      timeoutMs,
    );
    socket.on('connect', () => {
      socket.write(
        encodeDap({
          seq: 1,
          type: 'request',
          command: 'initialize',
          arguments: {
            clientID: 'devlane-probe',
            adapterID: 'devlane',
            pathFormat: 'path',
            linesStartAt1: true,
            columnsStartAt1: true,
          },
        }),
      );
    });
    const reader = new DapReader(
      (msg) => {
        if (msg.type === 'response' && msg.command === 'initialize') {
          finish(
            msg.success
              ? { ok: true, detail: 'initialize answered' }
              : { ok: false, reason: 'unexpected', detail: msg.message ?? 'initialize refused' },
          );
        }
      },
      (detail) => finish({ ok: false, reason: 'unexpected', detail }),
    );
    socket.on('data', (d: Buffer) => reader.push(d));
    socket.on('error', (e) => finish({ ok: false, reason: 'closed', detail: e.message }));
    socket.on('close', () =>
      finish({ ok: false, reason: 'closed', detail: 'the connection was closed before the debugger answered' }),
    );
  });
}
