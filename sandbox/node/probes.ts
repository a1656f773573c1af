// Probe handlers as the kubelet runs them (pkg/probe): httpGet (2xx/3xx succeed), tcpSocket (a
// connection succeeds), exec (exit code 0 succeeds), each under timeoutSeconds, with the kubelet's
// failure messages, which end up in Unhealthy events.

import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import type { KObject } from '../core/types';

export interface ProbeContext {
  podIP: string;
  ports: KObject[]; // the container's declared ports, for named probe ports
  connect(host: string, port: number): Promise<Duplex>;
  exec(argv: string[], timeoutMs: number): Promise<{ code: number; output: string }>;
}

export interface ProbeResult {
  ok: boolean;
  output: string;
}

export function resolvePort(port: number | string, ports: KObject[]): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const p = ports.find((x) => x.name === port);
  if (!p) throw new Error(`couldn't find port: ${port} in container`);
  return p.containerPort;
}

function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => void): Promise<T | 'timeout'> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      onTimeout();
      resolve('timeout');
    }, ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

async function httpProbe(h: KObject, ctx: ProbeContext, timeoutMs: number): Promise<ProbeResult> {
  const host: string = h.host || ctx.podIP;
  let port: number;
  try {
    port = resolvePort(h.port, ctx.ports);
  } catch (e) {
    return { ok: false, output: (e as Error).message };
  }
  const scheme = (h.scheme ?? 'HTTP').toLowerCase();
  const path: string = h.path ?? '/';
  const url = `${scheme}://${host}:${port}${path.startsWith('/') ? path : '/' + path}`;
  if (scheme !== 'http')
    return {
      ok: false,
      output: `Get "${url}": the sandbox's prober speaks HTTP only (scheme ${h.scheme} is not supported)`,
    };
  let sock: Duplex;
  try {
    sock = await ctx.connect(host, port);
  } catch (e) {
    return { ok: false, output: `Get "${url}": ${(e as Error).message}` };
  }
  const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.32', Accept: '*/*', Connection: 'close' };
  for (const hh of (h.httpHeaders ?? []) as { name: string; value: string }[]) headers[hh.name] = hh.value;
  const work = new Promise<ProbeResult>((resolve) => {
    const req = http.request(
      { host, port, path, method: 'GET', headers, createConnection: () => sock as never },
      (res) => {
        const status = res.statusCode ?? 0;
        let body = '';
        res.on('data', (d) => {
          if (body.length < 10 * 1024) body += d;
        });
        res.on('end', () => {
          if (status >= 200 && status < 400) resolve({ ok: true, output: body });
          else resolve({ ok: false, output: `HTTP probe failed with statuscode: ${status}` });
        });
        res.on('error', (e) => resolve({ ok: false, output: `Get "${url}": ${e.message}` }));
      },
    );
    req.on('error', (e) => resolve({ ok: false, output: `Get "${url}": ${e.message}` }));
    req.end();
  });
  const r = await withTimeout(work, timeoutMs, () => sock.destroy());
  if (r === 'timeout')
    return {
      ok: false,
      output: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
    };
  return r;
}

async function tcpProbe(t: KObject, ctx: ProbeContext, timeoutMs: number): Promise<ProbeResult> {
  const host: string = t.host || ctx.podIP;
  let port: number;
  try {
    port = resolvePort(t.port, ctx.ports);
  } catch (e) {
    return { ok: false, output: (e as Error).message };
  }
  let sock: Duplex | undefined;
  const r = await withTimeout(
    ctx.connect(host, port).then(
      (s) => {
        sock = s;
        s.destroy();
        return { ok: true, output: '' };
      },
      (e: Error) => ({ ok: false, output: e.message }),
    ),
    timeoutMs,
    () => sock?.destroy(),
  );
  if (r === 'timeout') return { ok: false, output: `dial tcp ${host}:${port}: i/o timeout` };
  return r;
}

async function execProbe(e: KObject, ctx: ProbeContext, timeoutMs: number): Promise<ProbeResult> {
  const argv: string[] = e.command ?? [];
  const r = await ctx.exec(argv, timeoutMs).catch((err: Error) => ({ code: -1, output: err.message }));
  if (r.code === -2) return { ok: false, output: `command ${JSON.stringify(argv.join(' '))} timed out` };
  return { ok: r.code === 0, output: r.output.trimEnd() };
}

export function runProbe(probe: KObject, ctx: ProbeContext): Promise<ProbeResult> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.httpGet) return httpProbe(probe.httpGet, ctx, timeoutMs);
  if (probe.tcpSocket) return tcpProbe(probe.tcpSocket, ctx, timeoutMs);
  if (probe.exec) return execProbe(probe.exec, ctx, timeoutMs);
  if (probe.grpc)
    return Promise.resolve({
      ok: false,
      output: 'grpc probes are not supported by the sandbox; use httpGet, tcpSocket or exec',
    });
  return Promise.resolve({ ok: false, output: 'probe has no handler' });
}

/** A lifecycle hook (preStop/postStart): same handlers, no thresholds. */
export function runHandler(handler: KObject, ctx: ProbeContext, timeoutMs: number): Promise<ProbeResult> {
  return runProbe({ ...handler, timeoutSeconds: Math.max(1, Math.ceil(timeoutMs / 1000)) }, ctx);
}
