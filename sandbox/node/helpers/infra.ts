// The pod's infra process (what the "pause" container is to a real pod): it holds the pod's network
// namespace, started by the node agent under `bwrap --unshare-net`. Every container of the pod joins
// this namespace. It also bridges the namespace to the host over unix sockets, which cross namespaces:
//  - dial socket (argv[2]): a client writes one line `HOST PORT\n`; the infra connects to HOST:PORT
//    inside the pod and answers `OK\n` (then pipes both ways) or `ERR CODE message\n`.
//  - Service ports: the agent writes JSON lines on stdin, {"ports":[{ip,port,socketPath}]}; the infra
//    listens on each ip:port inside the pod and carries each connection to socketPath on the host.
//    A port it cannot bind (EADDRINUSE: a container listens on the wildcard address with that port)
//    is retried and reported on stdout as {"bindErrors":[{ip,port,code}]}.

import * as net from 'node:net';

interface Port {
  ip: string;
  port: number;
  socketPath: string;
}

const dialPath = process.argv[2];
if (!dialPath) {
  process.stderr.write('usage: infra.js DIAL_SOCKET\n');
  process.exit(2);
}

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

const listeners = new Map<string, { server?: net.Server; port: Port; retry?: NodeJS.Timeout }>();
const bindErrors = new Map<string, string>();

function report(): void {
  process.stdout.write(JSON.stringify({ bindErrors: [...bindErrors].map(([k, code]) => ({ key: k, ip: k.split(':')[0], port: Number(k.split(':')[1]), code })) }) + '\n');
}

function listen(key: string): void {
  const entry = listeners.get(key);
  if (!entry) return;
  const server = net.createServer({ noDelay: true }, (c) => {
    const up = net.connect(entry.port.socketPath);
    pipeBoth(c, up);
  });
  server.once('error', (e: NodeJS.ErrnoException) => {
    if (listeners.get(key) !== entry) return;
    entry.server = undefined;
    if (bindErrors.get(key) !== e.code) {
      bindErrors.set(key, e.code ?? 'EADDRINUSE');
      report();
    }
    entry.retry = setTimeout(() => listen(key), 1000);
  });
  server.listen({ host: entry.port.ip, port: entry.port.port }, () => {
    entry.server = server;
    if (bindErrors.delete(key)) report();
  });
}

function setPorts(ports: Port[]): void {
  const want = new Map(ports.map((p) => [`${p.ip}:${p.port}`, p]));
  for (const [key, entry] of listeners) {
    const p = want.get(key);
    if (p && p.socketPath === entry.port.socketPath) continue;
    listeners.delete(key);
    clearTimeout(entry.retry);
    entry.server?.close();
    if (bindErrors.delete(key)) report();
  }
  for (const [key, port] of want) {
    if (listeners.has(key)) continue;
    listeners.set(key, { port });
    listen(key);
  }
}

let input = '';
process.stdin.on('data', (d) => {
  input += d;
  let nl: number;
  while ((nl = input.indexOf('\n')) >= 0) {
    const line = input.slice(0, nl);
    input = input.slice(nl + 1);
    if (!line.trim()) continue;
    const msg = JSON.parse(line) as { ports?: Port[] };
    if (msg.ports) setPorts(msg.ports);
  }
});
// The agent went away: nothing is left to serve.
process.stdin.on('end', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
