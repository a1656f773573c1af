// "Try a request" from the session panel: one HTTP request to a Service of the namespace, sent from
// the extension host through the cluster the same way Open Routed URL sends them (a port-forward to
// a Ready pod behind the Service, or to the session's dev Service when the session holds the
// target), with the route on it (`x-devlane-route` and `baggage: devlane=KEY`), or deliberately
// without it, to compare. The answer is read back as text (truncated) with its status, headers,
// the time it took and which version answered: as the response's `x-devlane-copy` header says
// (a router or mesh route sets it), else from the pod the request reached, which Devlane picked.
import * as http from 'node:http';
import type { ClusterConnection } from '../cluster/api';
import { resolveBackend } from './backend';
import { baggageHeader, copyHeader, labels, routeHeader } from '../core/session/route-contract';
import { copyOf, otherBaggageMembers, upstreamHeaders } from './headers';
import { restartWaitMs } from '../core/session/restart-wait';
import { closedBeforeAnswer, mayReplay, replayBackoffMs, replayDeadline } from './replay';

export interface TryRequest {
  method: string;
  /** Path and query, starting with `/`. */
  path: string;
  /** One `Name: value` per line. */
  headers: string;
  body: string;
  /** The Service the request is for. */
  target: string;
  /** With the session's route (true), or without it, to compare (false). */
  routed: boolean;
}

export type Answered = { kind: 'copy' | 'original' | 'unknown'; text: string };

export type TryResult =
  | {
      ok: true;
      routed: boolean;
      target: string;
      /** What the request reached first: `pod ratings-7d9 (Service ratings-dl-s1)`. */
      via: string;
      method: string;
      path: string;
      status: number;
      statusText: string;
      headers: [string, string][];
      /** From sending the request to the last byte read. */
      timeMs: number;
      body: string;
      bodyBytes: number;
      truncated: boolean;
      answered: Answered;
    }
  | { ok: false; routed: boolean; target: string; method: string; path: string; error: string };

const token = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** `Name: value` lines → pairs; blank lines are skipped. */
export function parseHeaderLines(text: string): { headers: [string, string][] } | { problem: string } {
  const headers: [string, string][] = [];
  for (const [n, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line) continue;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    if (!name || !token.test(name)) return { problem: `Header line ${n + 1} ("${line}") is not "Name: value"` };
    const value = line.slice(colon + 1).trim();
    if (/[\r\n\0]/.test(value)) return { problem: `Header ${name} has a control character in its value` };
    headers.push([name.toLowerCase(), value]);
  }
  return { headers };
}

/** Why a request cannot be sent as given, or undefined. */
export function requestProblem(r: TryRequest): string | undefined {
  if (!token.test(r.method)) return `"${r.method}" is not an HTTP method`;
  if (!r.path.startsWith('/')) return `The path must start with "/" (got "${r.path}")`;
  if (/[\s\0]/.test(r.path)) return 'The path must not contain spaces; encode them as %20';
  if (!r.target) return 'Pick the Service the request is for';
  const h = parseHeaderLines(r.headers);
  return 'problem' in h ? h.problem : undefined;
}

/** The pod a request was sent to, as Devlane picked it behind the first Service. */
export interface Reached {
  pod: string;
  service: string;
  labels: Record<string, string>;
}

/**
 * Which version answered: the response's `x-devlane-copy` header when a router or mesh route set
 * it; else the pod the request went straight to (a session's copy carries the session's labels,
 * an original pod none of Devlane's; a router marks what its copies answer, so its unmarked answers
 * are the original's). Never guessed from the body.
 */
export function answeredBy(headers: [string, string][], reached?: Reached): Answered {
  const marker = headers.find(([n]) => n.toLowerCase() === copyHeader)?.[1];
  if (marker !== undefined) {
    if (/^original$/i.test(marker.trim())) return { kind: 'original', text: `the original (${copyHeader}: ${marker})` };
    return { kind: 'copy', text: `the developer copy (${copyHeader}: ${marker})` };
  }
  const session = reached && copyOf(reached.labels);
  if (reached && session !== undefined)
    return { kind: 'copy', text: `the developer copy of session ${session} (pod ${reached.pod}, reached directly)` };
  // A router marks every answer it got from a copy: an unmarked one came from the original pods.
  if (reached && reached.labels[labels.role] === 'router')
    return {
      kind: 'original',
      text: `the original ${reached.service} (through its router, pod ${reached.pod}: no session's route was taken)`,
    };
  if (reached && reached.labels[labels.role] === undefined)
    return { kind: 'original', text: `the original ${reached.service} (pod ${reached.pod}, reached directly)` };
  return { kind: 'unknown', text: `unknown (no ${copyHeader} header${reached ? ` from ${reached.pod}` : ''})` };
}

/** The request's headers: the user's, then the route (routed), or with any route taken out (not routed). */
export function outgoingHeaders(r: TryRequest, routeKey: string | undefined, host: string): http.OutgoingHttpHeaders {
  const parsed = parseHeaderLines(r.headers);
  const given: http.IncomingHttpHeaders = {};
  if ('headers' in parsed) {
    for (const [n, v] of parsed.headers) {
      const prev = given[n];
      given[n] = prev === undefined ? v : `${String(prev)}, ${v}`;
    }
  }
  if (routeKey) return upstreamHeaders(given, routeKey, host);
  const out: http.OutgoingHttpHeaders = { ...given, host };
  delete out[routeHeader];
  const baggage = out[baggageHeader];
  if (typeof baggage === 'string') {
    const rest = otherBaggageMembers(baggage);
    if (rest.length) out[baggageHeader] = rest.join(',');
    else delete out[baggageHeader];
  }
  return out;
}

export interface TrySendOptions {
  cluster: Pick<ClusterConnection, 'objects' | 'portForward'>;
  namespace: string;
  request: TryRequest;
  /** The session's route key; only used when `request.routed`. */
  routeKey: string;
  /** The session's dev Service for the target, when the session holds it and it is live. */
  devService?: string;
  timeoutMs?: number;
  /** Bytes of body kept (the rest is counted, not kept). */
  maxBody?: number;
  signal?: AbortSignal;
}

/** Sends one request; never throws: a failure comes back as `{ ok: false, error }` in plain words. */
export async function sendTry(o: TrySendOptions): Promise<TryResult> {
  const r = o.request;
  const base = { routed: r.routed, target: r.target, method: r.method, path: r.path };
  const problem = requestProblem(r);
  if (problem) return { ok: false, ...base, error: `${problem}. Nothing was sent.` };
  const timeoutMs = o.timeoutMs ?? 15_000;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new TimedOut(`No answer within ${timeoutMs / 1000} s`)), timeoutMs);
  const onAbort = () => controller.abort(o.signal?.reason);
  o.signal?.addEventListener('abort', onAbort, { once: true });
  // The first hop: the dev Service when routed and the session holds the target (what the mesh or
  // the router would do with the key); otherwise the target Service itself.
  const first = r.routed && o.devService ? o.devService : r.target;
  let handle: Awaited<ReturnType<TrySendOptions['cluster']['portForward']>> | undefined;
  try {
    let backend;
    try {
      backend = await resolveBackend(o.cluster.objects, o.namespace, first, undefined, controller.signal);
    } catch (err) {
      return {
        ok: false,
        ...base,
        error: `No route to Service ${first} in ${o.namespace}: ${plain(err)}. Nothing was sent.`,
      };
    }
    try {
      // A copy restarting after a save refuses for a moment: the request waits for it (restartWaitMs).
      handle = await o.cluster.portForward({
        namespace: o.namespace,
        pod: backend.pod,
        remotePort: backend.port,
        localPort: 0,
        address: '127.0.0.1',
        retryRefusedMs: restartWaitMs,
      });
    } catch (err) {
      return {
        ok: false,
        ...base,
        error: `Could not open a port-forward to pod ${backend.pod}:${backend.port}: ${plain(err)}. Nothing was sent.`,
      };
    }
    const via = `pod ${backend.pod}:${backend.port} (Service ${first})`;
    const headers = outgoingHeaders(r, r.routed ? o.routeKey : undefined, r.target);
    // The body is in memory, so an idempotent request is sent again when its connection closed
    // before any answer (the copy restarted under it: src/proxy/replay.ts), until the deadline.
    const deadline = replayDeadline();
    let got = await exchange(handle.localPort, r, { ...headers }, o.maxBody ?? 64 * 1024, controller.signal);
    for (
      let n = 1;
      'closed' in got && got.closed && mayReplay(r.method) && Date.now() < deadline && !controller.signal.aborted;
      n++
    ) {
      await new Promise((resolve) => setTimeout(resolve, replayBackoffMs(n)));
      got = await exchange(handle.localPort, r, { ...headers }, o.maxBody ?? 64 * 1024, controller.signal);
    }
    if ('error' in got) return { ok: false, ...base, error: `${got.error} (${via}).` };
    return {
      ok: true,
      ...base,
      via,
      ...got,
      answered: answeredBy(got.headers, { pod: backend.pod, service: r.target, labels: backend.labels }),
    };
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
    handle?.dispose();
  }
}

type Exchange = {
  status: number;
  statusText: string;
  headers: [string, string][];
  timeMs: number;
  body: string;
  bodyBytes: number;
  truncated: boolean;
};

function exchange(
  port: number,
  r: TryRequest,
  headers: http.OutgoingHttpHeaders,
  maxBody: number,
  signal: AbortSignal,
): Promise<Exchange | { error: string; closed: boolean }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const body = r.body ? Buffer.from(r.body, 'utf8') : undefined;
    if (body) headers['content-length'] = String(body.length);
    const req = http.request(
      { host: '127.0.0.1', port, method: r.method, path: r.path, headers, agent: false, signal },
      (res) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        let total = 0;
        res.on('data', (c: Buffer) => {
          total += c.length;
          if (kept < maxBody) {
            const part = c.subarray(0, maxBody - kept);
            chunks.push(part);
            kept += part.length;
          }
        });
        res.on('end', () => {
          const pairs: [string, string][] = [];
          for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
            pairs.push([res.rawHeaders[i].toLowerCase(), res.rawHeaders[i + 1]]);
          resolve({
            status: res.statusCode ?? 0,
            statusText: res.statusMessage ?? '',
            headers: pairs,
            timeMs: Math.round((performance.now() - started) * 10) / 10,
            body: Buffer.concat(chunks).toString('utf8'),
            bodyBytes: total,
            truncated: total > kept,
          });
        });
        res.on('error', (err) => resolve({ error: describe(err, signal), closed: false }));
      },
    );
    req.on('error', (err) =>
      resolve({ error: describe(err, signal), closed: !signal.aborted && closedBeforeAnswer(err) }),
    );
    req.end(body);
  });
}

class TimedOut extends Error {}

function describe(err: Error, signal: AbortSignal): string {
  if (signal.aborted)
    return signal.reason instanceof TimedOut
      ? `${signal.reason.message}: the request timed out`
      : 'The request was cancelled';
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return 'Connection refused: nothing listens on the port the Service sends to';
  if (code === 'ECONNRESET' || code === 'EPIPE' || err.message === 'socket hang up')
    return 'The connection was closed before an answer came: nothing may listen on the port the Service sends to, or the pod went away';
  return `The request failed: ${err.message}`;
}

function plain(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\.$/, '');
}
