// The pod's infra process (what the "pause" container is to a real pod): it holds the pod's network
// namespace, started by the node agent under `bwrap --unshare-net`. Every container of the pod joins
// this namespace. It also bridges the namespace to the host over unix sockets, which cross namespaces:
//  - dial socket (argv[2]): a client writes one line `HOST PORT\n`; the infra connects to HOST:PORT
//    inside the pod and answers `OK\n` (then pipes both ways) or `ERR CODE message\n`.
//  - routes: the agent writes JSON lines on stdin, {"routes":[{ip,port,socketPath,dial?}]}: every
//    connection a container makes to ip:port (a Service port, or another pod's declared port) is
//    carried to socketPath on the host, after the line `dial` when there is one (another pod's dial
//    socket, which answers OK/ERR).
//
// How a connection to ip:port reaches the infra (mode, reported on stdout with every change):
//  - redirect: every address of 127.0.0.0/8 is local in the namespace, so the infra listens on
//    127.0.0.1 at a port of its own (61000-65535, above the kernel's ephemeral range) per route, and
//    an nftables `nat output` rule in the namespace redirects ip:port there. Containers may then
//    listen anywhere, the wildcard address included, on any port a Service uses. Any other new TCP
//    connection to the node's addresses (argv[4]) but the pod's own IP (argv[3]) is reset, so a pod
//    never reaches itself through another pod's IP.
//  - listen (nft is missing or refused): the infra listens on each Service's ip:port itself; a
//    container that listens on the wildcard address with that port collides with it. A port it cannot
//    bind is retried and reported as {"bindErrors":[{ip,port,code}]}. Other pods' routes are left out.

import { spawn } from 'node:child_process';
import * as net from 'node:net';

interface Route {
  ip: string;
  port: number;
  socketPath: string;
  dial?: string;
}

interface Entry {
  route: Route;
  server?: net.Server;
  localPort?: number;
  retry?: NodeJS.Timeout;
}

const [dialPath, podIP, podCidr] = process.argv.slice(2);
if (!dialPath || !podIP || !podCidr) {
  process.stderr.write('usage: infra.js DIAL_SOCKET POD_IP NODE_CIDR\n');
  process.exit(2);
}

const TABLE = 'devlane-pod';
const LOCAL_PORTS = { first: 61000, last: 65535 };

function pipeBoth(a: net.Socket, b: net.Socket): void {
  a.pipe(b);
  b.pipe(a);
  const end = () => {
    a.destroy();
    b.destroy();
  };
  a.on('error', end);
  b.on('error', end);
  a.on('close', () => b.end());
  b.on('close', () => a.end());
}

const dial = net.createServer((client) => {
  let buf = Buffer.alloc(0);
  const onData = (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    const nl = buf.indexOf(10);
    if (nl < 0) {
      if (buf.length > 512) client.destroy();
      return;
    }
    client.off('data', onData);
    client.pause();
    const [host, portText] = buf.subarray(0, nl).toString('utf8').trim().split(/\s+/);
    const rest = buf.subarray(nl + 1);
    const target = net.connect({ host, port: Number(portText), noDelay: true });
    target.once('connect', () => {
      target.off('error', onFail);
      client.write('OK\n');
      if (rest.length) target.write(rest);
      pipeBoth(client, target);
      client.resume();
    });
    const onFail = (e: NodeJS.ErrnoException) => {
      client.end(`ERR ${e.code ?? 'ECONNREFUSED'} ${e.message}\n`);
    };
    target.once('error', onFail);
  };
  client.on('data', onData);
  client.on('error', () => client.destroy());
});
dial.listen(dialPath);

// ---- carrying a container's connection to the host ----

/** Connects a container's connection to the route's socket; a refused dial resets it, as a refused connect would. */
function forward(client: net.Socket, route: Route): void {
  client.on('error', () => client.destroy());
  const up = net.connect(route.socketPath);
  if (!route.dial) return pipeBoth(client, up);
  client.pause();
  // Until the answer: the client going away drops the dial, and the dial failing resets the client.
  const dropDial = () => up.destroy();
  const resetClient = () => client.resetAndDestroy();
  client.once('close', dropDial);
  up.once('close', resetClient);
  up.on('error', () => {});
  up.once('connect', () => up.write(`${route.dial}\n`));
  let answer = Buffer.alloc(0);
  const onAnswer = (d: Buffer) => {
    answer = Buffer.concat([answer, d]);
    const nl = answer.indexOf(10);
    if (nl < 0) return;
    up.off('data', onAnswer);
    if (answer.subarray(0, nl).toString('utf8') !== 'OK') return void up.destroy();
    up.pause();
    client.off('close', dropDial);
    up.off('close', resetClient);
    up.removeAllListeners('error');
    if (nl + 1 < answer.length) client.write(answer.subarray(nl + 1));
    pipeBoth(client, up);
  };
  up.on('data', onAnswer);
}

function serverFor(entry: Entry): net.Server {
  return net.createServer({ noDelay: true }, (c) => forward(c, entry.route));
}

// ---- nftables ----

function nft(script: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn('nft', ['-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.once('error', (e) => resolve(`nft could not be run: ${e.message}`));
    child.once('close', (code) => resolve(code === 0 ? undefined : `nft failed: ${err.trim() || `exit ${code}`}`));
    child.stdin!.on('error', () => {});
    child.stdin!.end(script);
  });
}

const baseTable = `table ip ${TABLE} {
  chain routes { type nat hook output priority -100; policy accept; }
  chain guard { type filter hook output priority 0; policy accept; ip daddr ${podCidr} ip daddr != ${podIP} ct state new reject with tcp reset; }
}
`;

function routesScript(entries: Entry[]): string {
  const pairs = entries.filter((e) => e.localPort).map((e) => `${e.route.ip} . ${e.route.port} : ${e.localPort}`);
  let script = `flush chain ip ${TABLE} routes\n`;
  if (pairs.length)
    script += `add rule ip ${TABLE} routes meta l4proto tcp redirect to ip daddr . tcp dport map { ${pairs.join(', ')} }\n`;
  return script;
}

// ---- routes ----

let mode: 'redirect' | 'listen' | undefined;
let modeReason: string | undefined;
let nftError: string | undefined;
const entries = new Map<string, Entry>();
const bindErrors = new Map<string, string>();
const keyOf = (r: Route) => `${r.ip}:${r.port}`;

function report(): void {
  const localPorts = [...entries.values()].flatMap((e) => (e.localPort ? [e.localPort] : []));
  const errors = [...bindErrors].map(([k, code]) => ({ ip: k.split(':')[0], port: Number(k.split(':')[1]), code }));
  process.stdout.write(
    JSON.stringify({
      mode,
      ...(modeReason ? { modeReason } : {}),
      ...(nftError ? { error: nftError } : {}),
      localPorts,
      bindErrors: errors,
    }) + '\n',
  );
}

/** Binds 127.0.0.1 at the first free port of our range (from the top); undefined when none is left. */
async function bindLocal(server: net.Server): Promise<number | undefined> {
  const taken = new Set([...entries.values()].map((e) => e.localPort));
  for (let port = LOCAL_PORTS.last; port >= LOCAL_PORTS.first; port--) {
    if (taken.has(port)) continue;
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen({ host: '127.0.0.1', port }, () => resolve(true));
    });
    if (ok) return port;
  }
  return undefined;
}

async function applyRedirect(want: Map<string, Route>): Promise<void> {
  const removed: Entry[] = [];
  for (const [key, entry] of entries) {
    const route = want.get(key);
    if (route)
      entry.route = route; // a new socket for the same address: the next connection uses it
    else {
      entries.delete(key);
      bindErrors.delete(key);
      removed.push(entry);
    }
  }
  for (const [key, route] of want) {
    if (entries.has(key)) continue;
    const entry: Entry = { route };
    entries.set(key, entry);
    entry.server = serverFor(entry);
    entry.localPort = await bindLocal(entry.server);
    if (!entry.localPort) bindErrors.set(key, 'EADDRINUSE');
  }
  nftError = await nft(routesScript([...entries.values()]));
  for (const e of removed) e.server?.close();
}

function listenDirect(key: string): void {
  const entry = entries.get(key);
  if (!entry) return;
  const server = serverFor(entry);
  server.once('error', (e: NodeJS.ErrnoException) => {
    if (entries.get(key) !== entry) return;
    if (bindErrors.get(key) !== e.code) {
      bindErrors.set(key, e.code ?? 'EADDRINUSE');
      report();
    }
    entry.retry = setTimeout(() => listenDirect(key), 1000);
  });
  server.listen({ host: entry.route.ip, port: entry.route.port }, () => {
    if (entries.get(key) !== entry) return void server.close();
    entry.server = server;
    if (bindErrors.delete(key)) report();
  });
}

function applyListen(all: Map<string, Route>): void {
  // Another pod's address is local here too, but listening on it would take the port from every
  // container of this pod that listens on the wildcard address: without nft, no pod-to-pod by IP.
  const want = new Map([...all].filter(([, r]) => !r.dial));
  for (const [key, entry] of entries) {
    const route = want.get(key);
    if (route) {
      entry.route = route;
      continue;
    }
    entries.delete(key);
    clearTimeout(entry.retry);
    entry.server?.close();
    bindErrors.delete(key);
  }
  for (const [key, route] of want) {
    if (entries.has(key)) continue;
    entries.set(key, { route });
    listenDirect(key);
  }
}

// Updates run one at a time; a newer set of routes replaces one still waiting.
let pending: Route[] | undefined;
let running = false;

async function update(): Promise<void> {
  if (running) return;
  running = true;
  if (!mode) {
    modeReason = await nft(baseTable);
    mode = modeReason ? 'listen' : 'redirect';
  }
  while (pending) {
    const want = new Map(pending.map((r) => [keyOf(r), r]));
    pending = undefined;
    if (mode === 'redirect') await applyRedirect(want);
    else applyListen(want);
    report();
  }
  running = false;
}

let input = '';
process.stdin.on('data', (d) => {
  input += d;
  let nl: number;
  while ((nl = input.indexOf('\n')) >= 0) {
    const line = input.slice(0, nl);
    input = input.slice(nl + 1);
    if (!line.trim()) continue;
    const msg = JSON.parse(line) as { routes?: Route[] };
    if (msg.routes) {
      pending = msg.routes;
      void update();
    }
  }
});
// The agent went away: nothing is left to serve.
process.stdin.on('end', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
