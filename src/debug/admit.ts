// Who may use the debug tunnel. A debugger runs any code it is sent, in the cluster, so the local
// end of the tunnel must serve the debugger Devlane starts (the editor's, on this machine, as
// this user) and nobody else that can reach 127.0.0.1:
//  - another user of this machine: on Linux, the connecting socket's owner (/proc/net/tcp) must
//    be this process's user;
//  - a web page in the user's own browser, which can aim requests at any local port (and rename
//    its own site to 127.0.0.1): the Node inspector is spoken over HTTP, so a request must name
//    the tunnel as Host and must not come from another site (core/local-origin.ts); debugpy and
//    Delve speak DAP, whose first bytes are `Content-Length:`, which no browser request can start
//    with (Delve's JSON-RPC, which it serves on the same port, is refused by the same test).
import { readFileSync } from 'node:fs';
import type { DebugRuntime } from '../core/debug/runtime';
import { localRequestProblem } from '../core/local-origin';

const what = "Devlane's debug tunnel";

/** Why a new connection to the tunnel on 127.0.0.1:`port` is refused, from what it sent first; undefined to carry it. */
export function debugConnectionProblem(runtime: DebugRuntime, start: Buffer, port: number): string | undefined {
  const text = start.toString('latin1');
  if (runtime !== 'node') {
    return /^Content-Length:/i.test(text)
      ? undefined
      : `${what} refused a connection that does not speak DAP (it began ${JSON.stringify(text.slice(0, 24))})`;
  }
  const head = /^[A-Z]+ \S+ HTTP\/1\.[01]\r\n((?:[^\r\n]*\r\n)*?)\r\n/.exec(text);
  if (!head) return `${what} refused a connection that is not an HTTP request to the Node inspector`;
  const headers: Record<string, string> = {};
  for (const line of head[1].split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] ??= line.slice(colon + 1).trim();
  }
  return localRequestProblem(headers, port, what);
}

/** Linux: the user owning the local socket bound to 127.0.0.1:`port`; undefined where that cannot be read. */
export function socketOwner(port: number, table = readTcpTable()): number | undefined {
  if (!table) return undefined;
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const line of table.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols[1] === local) return Number(cols[7]);
  }
  return undefined;
}

function readTcpTable(): string | undefined {
  try {
    return readFileSync('/proc/net/tcp', 'utf8');
  } catch {
    return undefined;
  }
}

/** The tunnel's admission check: this user's processes only (where the system says), then the protocol check above. */
export function admitDebugger(
  runtime: DebugRuntime,
  localPort: () => number,
  uid = process.getuid?.(),
): (start: Buffer, peerPort: number) => string | undefined {
  return (start, peerPort) => {
    const owner = uid === undefined ? undefined : socketOwner(peerPort);
    if (owner !== undefined && owner !== uid)
      return `${what} refused a connection from another user of this machine (uid ${owner})`;
    return debugConnectionProblem(runtime, start, localPort());
  };
}
