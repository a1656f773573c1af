// pods/exec over WebSocket (channel.k8s.io v1..v5), as the kubelet's remotecommand server speaks it:
// channels 0 stdin, 1 stdout, 2 stderr, 3 error/status, 4 resize; an empty frame on the first
// output channel once ready; the status on channel 3 then a close; v5's [255, 0] closes stdin.

import type * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { ApiError, type KObject } from '../core/types';
import { killProcessGroup, missingCommand, spawnExec } from './execproc';
import { pickContainer } from './logapi';
import type { PodWorker } from './pod';
import type { StreamGuard } from './streams';
import { EXEC_PROTOCOLS, frame, negotiate, offeredProtocols, refuse, sendFlow, unframe, upgrade } from './wsproto';

const truthy = (v: string | null) => v === 'true' || v === '1';

function shellQuote(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export async function serveExec(
  worker: PodWorker | undefined,
  pod: KObject,
  query: URLSearchParams,
  req: http.IncomingMessage,
  socket: Duplex,
  head: Buffer,
  guard: StreamGuard,
): Promise<void> {
  let name: string;
  const command = query.getAll('command');
  const stdin = truthy(query.get('stdin'));
  const stdout = truthy(query.get('stdout'));
  const stderr = truthy(query.get('stderr'));
  const tty = truthy(query.get('tty'));
  try {
    name = pickContainer(pod, query, false);
    if (command.length === 0) throw new ApiError(400, 'BadRequest', 'you must specify at least 1 command');
    if (!stdin && !stdout && !stderr)
      throw new ApiError(400, 'BadRequest', 'you must specify at least 1 of stdin, stdout, stderr');
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') {
      throw new ApiError(
        400,
        'BadRequest',
        `cannot exec into a container in a completed pod; current phase is ${pod.status.phase}`,
      );
    }
  } catch (e) {
    guard.close();
    refuse(socket, e as ApiError);
    return;
  }
  const c = worker?.app.find((x) => x.name === name);
  if (!c || !c.instanceRunning || !c.proc?.pid) {
    guard.close();
    refuse(socket, new ApiError(400, 'BadRequest', `container not found ("${name}")`));
    return;
  }
  const n = negotiate(offeredProtocols(req), EXEC_PROTOCOLS);
  const ws = await upgrade(req, socket, head, n);
  const argv = tty ? ['/usr/bin/script', '-q', '-e', '-f', '-c', shellQuote(command), '/dev/null'] : command;
  const missing = argv.length ? missingCommand(c.proc.pid, c.env, c.workingDir, argv[0]) : undefined;
  if (missing) {
    sendStatus(ws, n, {
      metadata: {},
      status: 'Failure',
      message: `Internal error occurred: error executing command in container: failed to exec in container: failed to start exec: ${missing}`,
      reason: 'InternalError',
      code: 500,
    });
    guard.close();
    return;
  }
  const child = spawnExec(
    c.proc.pid,
    tty ? { ...c.env, TERM: c.env.TERM ?? 'xterm' } : c.env,
    c.workingDir,
    argv,
    stdin,
  );
  const send = (ch: number, d: Buffer, src?: { pause(): void; resume(): void }) => {
    guard.touch();
    sendFlow(ws, frame(n, ch, d), src);
  };
  // The kubelet's "ready" signal: an empty message on the lowest output channel.
  send(stdout ? 1 : stderr ? 2 : 3, Buffer.alloc(0));
  if (stdout) child.stdout!.on('data', (d: Buffer) => send(1, d, child.stdout!));
  else child.stdout!.resume();
  if (stderr && !tty) child.stderr!.on('data', (d: Buffer) => send(2, d, child.stderr!));
  else if (tty) child.stderr!.on('data', (d: Buffer) => stdout && send(1, d, child.stderr!));
  else child.stderr!.resume();
  child.stdin?.on('error', () => {});
  ws.on('message', (raw: Buffer, isBinary: boolean) => {
    guard.touch();
    const m = unframe(n, raw, isBinary);
    if (!m) return;
    if (m.channel === 0 && child.stdin && !child.stdin.writableEnded) child.stdin.write(m.data);
    else if (m.channel === 255 && n.closeSignal && m.data[0] === 0) child.stdin?.end();
    // Channel 4 (resize, {"Width":W,"Height":H}) is accepted; the sandbox's terminal keeps its size.
  });
  ws.on('ping', () => guard.touch());
  ws.on('pong', () => guard.touch());
  let finished = false;
  const end = () => {
    if (finished) return;
    finished = true;
    guard.close();
    if (child.exitCode === null && child.signalCode === null) killProcessGroup(child);
  };
  ws.on('close', end);
  ws.on('error', end);
  const stopCut = guard.onCut(() => ws.terminate());
  child.on('error', (e) => {
    if (finished) return;
    sendStatus(ws, n, {
      metadata: {},
      status: 'Failure',
      message: `Internal error occurred: error executing command in container: ${e.message}`,
      reason: 'InternalError',
      code: 500,
    });
  });
  child.on('close', (code, sig) => {
    stopCut();
    if (finished) return;
    const exitCode = code ?? 128 + (sig === 'SIGKILL' ? 9 : sig === 'SIGTERM' ? 15 : 1);
    if (exitCode === 0) sendStatus(ws, n, { metadata: {}, status: 'Success' });
    else {
      sendStatus(ws, n, {
        metadata: {},
        status: 'Failure',
        message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${exitCode}`,
        reason: 'NonZeroExitCode',
        details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
      });
    }
  });
}

function sendStatus(
  ws: import('ws').WebSocket,
  n: ReturnType<typeof negotiate>,
  status: Record<string, unknown>,
): void {
  if (ws.readyState !== ws.OPEN) return;
  if (n.statusJson) ws.send(frame(n, 3, Buffer.from(JSON.stringify(status))));
  else if (status.status !== 'Success') ws.send(frame(n, 3, Buffer.from(String(status.message))));
  ws.close(1000);
}
