// A load generator that runs inside a pod (node, through `kubectl exec -i`), so the same test or
// benchmark measures what in-cluster clients see on the sandbox and on a real cluster alike.
// It sends GETs at a fixed rate (open loop: a slow answer does not slow the rate down), or with
// `concurrency` as fast as N clients can (closed loop, for throughput), through one keep-alive
// agent, as most real clients do, and is bounded in count and time. Like browsers, curl, Go's and
// undici's clients (RFC 9112 §9.3.1), it retries a GET once when a reused keep-alive connection was
// closed by the server before any of the answer arrived (a server closing idle connections, as
// nginx does on every reload, races with a request already on its way); such retries are counted
// and reported, and a retry that fails too is a failure. Node's own client leaves that to callers. Lines on its stdin
// switch the phase its samples are filed under ("phase NAME"), label the answers from then on
// ("label NAME", counted per label), or stop it ("stop"); it then waits
// for the requests in flight and prints one JSON summary per phase.
import { spawn } from 'node:child_process';
import { contexts, kubeconfig } from './kubectl';

export interface PhaseSummary {
  sent: number;
  ok: number;
  failed: number;
  /** Error text (or `HTTP nnn`) → how many. */
  errors: Record<string, number>;
  /** GETs sent again because a reused keep-alive connection closed before any answer (see above). */
  retriedOnReusedConnection: number;
  /** The first few failures: when (ms since the epoch), after how long, and the answer's first bytes. */
  firstFailures: { at: number; error: string; ms: number; body?: string }[];
  /** Answered requests counted under each label given with `label()` (e.g. one per session cycle). */
  okByLabel: Record<string, number>;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Answers per second over the phase. */
  throughput: number;
  seconds: number;
}

export type LoadSummary = Record<string, PhaseSummary>;

export interface LoadOptions {
  url: string;
  /** Requests per second; with `concurrency`, only the bound on the count (rate × maxSeconds). */
  rate: number;
  maxSeconds: number;
  /** Closed loop: this many clients, each sending its next request when the last one is answered. */
  concurrency?: number;
  headers?: Record<string, string>;
  /** The phase the first samples are filed under. */
  phase?: string;
  /** A request without an answer after this long counts as failed (default 10 s). */
  timeoutMs?: number;
  /** A new connection for every request (no keep-alive), as short-lived clients and scripts do. */
  fresh?: boolean;
}

const script = `
'use strict';
const http = require('http');
const o = JSON.parse(process.argv[1]);
const agent = new http.Agent({ keepAlive: true });
const phases = {};
let phase = o.phase;
let label = '';
const started = performance.now();
const max = Math.round(o.rate * o.maxSeconds);
let sent = 0;
let inflight = 0;
let stopping = false;
const ph = (name) => (phases[name] ??= { sent: 0, ok: 0, failed: 0, retried: 0, errors: {}, firstFailures: [], okByLabel: {}, lat: [], from: performance.now(), to: 0 });
function fire(next) {
  const p = ph(phase);
  p.sent++;
  sent++;
  inflight++;
  send(p, next, performance.now(), false);
}
function send(p, next, t0, retry) {
  let done = false;
  let answered = false;
  const finish = (error, body) => {
    if (done) return;
    done = true;
    inflight--;
    if (error) {
      p.failed++;
      p.errors[error] = (p.errors[error] ?? 0) + 1;
      // When it failed, after how long, and what the answer said: which hop failed, and why.
      if (p.firstFailures.length < 10) p.firstFailures.push({ at: Date.now(), error, ms: Math.round(performance.now() - t0), ...(body ? { body } : {}) });
    } else {
      p.ok++;
      if (label) p.okByLabel[label] = (p.okByLabel[label] ?? 0) + 1;
      p.lat.push(performance.now() - t0);
    }
    p.to = performance.now();
    if (stopping && inflight === 0) end();
    else if (next && !stopping) next();
  };
  // A retry goes on a new connection, as browsers, curl and undici do: another pooled socket may
  // have been closed by the same event.
  const req = http.get(o.url, { agent: retry || o.fresh ? false : agent, headers: o.headers ?? {}, timeout: o.timeoutMs ?? 10000 }, (res) => {
    answered = true;
    const ok = res.statusCode >= 200 && res.statusCode < 300;
    let body = '';
    res.on('data', (d) => {
      if (!ok && body.length < 300) body += d.toString().slice(0, 300 - body.length);
    });
    res.on('end', () => finish(ok ? undefined : 'HTTP ' + res.statusCode, body));
    res.on('error', (e) => finish(e.code ?? e.message));
  });
  req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
  req.on('error', (e) => {
    if (!retry && !answered && req.reusedSocket && (e.code === 'ECONNRESET' || e.code === 'EPIPE')) {
      done = true;
      p.retried++;
      return send(p, next, t0, true);
    }
    finish((req.reusedSocket ? 'reused socket: ' : '') + (retry ? 'on retry: ' : '') + (e.code ?? e.message));
  });
}
const tick = setInterval(() => {
  if (!o.concurrency) {
    const due = Math.min(max, Math.floor(((performance.now() - started) / 1000) * o.rate));
    while (sent < due && !stopping) fire();
  }
  if (sent >= max || performance.now() - started > o.maxSeconds * 1000) stop();
}, 5);
const worker = () => sent < max && fire(worker);
for (let i = 0; i < (o.concurrency ?? 0); i++) worker();
const pct = (s, q) => (s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((q / 100) * s.length) - 1))] : 0);
function end() {
  const out = {};
  for (const [name, p] of Object.entries(phases)) {
    const s = p.lat.sort((a, b) => a - b);
    const seconds = ((p.to || performance.now()) - p.from) / 1000;
    out[name] = { sent: p.sent, ok: p.ok, failed: p.failed, retriedOnReusedConnection: p.retried, errors: p.errors, firstFailures: p.firstFailures, okByLabel: p.okByLabel, p50: pct(s, 50), p90: pct(s, 90), p99: pct(s, 99), max: s.length ? s[s.length - 1] : 0, throughput: seconds > 0 ? p.ok / seconds : 0, seconds };
  }
  process.stdout.write(JSON.stringify(out) + '\\n', () => process.exit(0));
}
function stop() {
  if (stopping) return;
  stopping = true;
  clearInterval(tick);
  if (inflight === 0) end();
  setTimeout(end, 15000);
}
let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf('\\n')) >= 0) {
    const line = buf.slice(0, i).trim();
    buf = buf.slice(i + 1);
    if (line === 'stop') stop();
    else if (line.startsWith('phase ')) phase = line.slice(6);
    else if (line.startsWith('label ')) label = line.slice(6);
  }
});
process.stdin.on('end', stop);
`;

export interface Load {
  /** Files the samples from now on under `name`. */
  phase(name: string): void;
  /** Counts the answers from now on under `name` too, within the phase (see PhaseSummary.okByLabel). */
  label(name: string): void;
  /** Stops sending, waits for the answers in flight, and returns the summary per phase. */
  stop(): Promise<LoadSummary>;
}

/** Starts the generator in `pod` (a node pod, e.g. from startClientPod). */
export function startLoad(namespace: string, pod: string, opts: LoadOptions): Load {
  const child = spawn(
    'kubectl',
    [
      '--kubeconfig',
      kubeconfig(),
      '--context',
      contexts.admin,
      'exec',
      '-i',
      '-n',
      namespace,
      pod,
      '--',
      'node',
      '-e',
      script,
      JSON.stringify({ phase: 'before', ...opts }),
    ],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  return {
    phase: (name) => void child.stdin.write(`phase ${name}\n`),
    label: (name) => void child.stdin.write(`label ${name}\n`),
    async stop() {
      if (child.exitCode === null) child.stdin.end('stop\n');
      const code = await exited;
      const line = out.trim().split('\n').pop() ?? '';
      try {
        return JSON.parse(line) as LoadSummary;
      } catch {
        throw new Error(
          `the load generator in ${namespace}/${pod} exited (${code}) without a summary:\n${out}\n${err}`,
        );
      }
    },
  };
}

/** One line for a test's diagnostics or a log. */
export function describeLoad(name: string, s: PhaseSummary | undefined): string {
  if (!s) return `${name}: no samples`;
  const ms = (n: number) => `${n.toFixed(1)} ms`;
  return `${name}: ${s.sent} sent, ${s.failed} failed (${s.retriedOnReusedConnection} retried on a reused connection the server closed) over ${s.seconds.toFixed(1)} s; latency p50 ${ms(s.p50)}, p90 ${ms(s.p90)}, p99 ${ms(s.p99)}, max ${ms(s.max)}; ${s.throughput.toFixed(1)} answers/s`;
}
