// Is the debugger really there, at the far end of the tunnel? A short exchange in its own protocol:
// the Node inspector's HTTP `/json/version`, or a DAP `initialize` for debugpy (which answers it and
// carries on serving the next client). A refused port-forward closes the connection at once.
import * as http from 'node:http';
import * as net from 'node:net';
import type { DebugRuntime } from '../core/debug/runtime';

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
    let buf = Buffer.alloc(0);
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
      const msg = JSON.stringify({
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
      });
      socket.write(`Content-Length: ${Buffer.byteLength(msg)}\r\n\r\n${msg}`);
    });
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const text = buf.toString('latin1');
        const m = /Content-Length: *(\d+)\r\n\r\n/i.exec(text);
        if (!m) return;
        const start = m.index + m[0].length;
        const len = Number(m[1]);
        if (buf.length < start + len) return;
        const body = buf.subarray(start, start + len).toString('utf8');
        buf = buf.subarray(start + len);
        try {
          const msg = JSON.parse(body) as { type?: string; command?: string; success?: boolean; message?: string };
          if (msg.type === 'response' && msg.command === 'initialize') {
            finish(
              msg.success
                ? { ok: true, detail: 'initialize answered' }
                : { ok: false, reason: 'unexpected', detail: msg.message ?? 'initialize refused' },
            );
          }
        } catch {
          finish({ ok: false, reason: 'unexpected', detail: `not the Debug Adapter Protocol: ${body.slice(0, 100)}` });
        }
      }
    });
    socket.on('error', (e) => finish({ ok: false, reason: 'closed', detail: e.message }));
    socket.on('close', () =>
      finish({ ok: false, reason: 'closed', detail: 'the connection was closed before the debugger answered' }),
    );
  });
}
