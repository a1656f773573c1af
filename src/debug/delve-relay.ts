// The editor's DAP connection to Delve, through the debug tunnel, with one change: leaving. Delve's
// multi-client server (dlv exec --headless --accept-multiclient, see src/core/debug/runtime.ts)
// keeps the program in the state the client left it in: paused at a breakpoint, with every
// breakpoint still set, so the next request would stop it again with nobody attached. So before a
// `disconnect` goes on, the relay removes the breakpoints this client set (source, function,
// instruction, data), resumes the program if it is paused, and sends the disconnect with
// `terminateDebuggee: false`: the copy runs on, as it did before Debug. Everything else passes
// through unchanged, both ways.
//
// A connection that drops (the tunnel cut, the editor gone) cannot do this; Delve then keeps the
// breakpoints until the next client sets breakpoints for the same files, which a re-attach does.
import * as net from 'node:net';
import { DapReader, type DapMessage, encodeDap } from './dap-stream';

/** The relay's own requests take seq numbers far above any the editor uses, so their responses are recognised. */
const ownSeqBase = 1_000_000_000;
/** How long a request of the leaving sequence may take before the relay goes on without its answer. */
const leaveStepMs = 3_000;
const resumes = new Set(['continue', 'next', 'stepIn', 'stepOut', 'stepBack', 'reverseContinue']);
const breakpointRequests = ['setFunctionBreakpoints', 'setInstructionBreakpoints', 'setDataBreakpoints'] as const;

export interface DapRelayOptions {
  /** Messages from Delve, for the editor. */
  send(message: DapMessage): void;
  /** The connection to Delve ended (after the editor's disconnect, or by itself); `error` when it failed. */
  onClose(error?: Error): void;
}

export class DelveRelay {
  private readonly socket: net.Socket;
  private readonly reader: DapReader;
  private ownSeq = ownSeqBase;
  private readonly pending = new Map<number, () => void>();
  /** Source paths that have breakpoints (as the editor named them). */
  private readonly sources = new Map<string, object>();
  private readonly otherBreakpoints = new Set<(typeof breakpointRequests)[number]>();
  /** The thread of the last stop while the program is paused; undefined while it runs. */
  private pausedThread: number | undefined;
  private leaving = false;
  private closed = false;

  constructor(
    port: number,
    private readonly o: DapRelayOptions,
    host = '127.0.0.1',
  ) {
    this.reader = new DapReader(
      (m) => this.fromDelve(m),
      (detail) => this.socket.destroy(new Error(detail)),
    );
    this.socket = net.connect(port, host);
    this.socket.on('data', (d: Buffer) => this.reader.push(d));
    let failure: Error | undefined;
    this.socket.on('error', (e) => (failure = e)); // 'close' follows
    this.socket.on('close', () => {
      this.closed = true;
      for (const done of this.pending.values()) done();
      this.pending.clear();
      this.o.onClose(failure);
    });
  }

  /** A message from the editor. */
  fromEditor(m: DapMessage): void {
    if (m.type !== 'request') return this.write(m);
    if (m.command === 'disconnect') {
      void this.leave(m);
      return;
    }
    if (m.command === 'setBreakpoints') {
      const source = m.arguments?.source;
      const key = source?.path ?? source?.name ?? JSON.stringify(source);
      if ((m.arguments?.breakpoints ?? m.arguments?.lines ?? []).length) this.sources.set(key, source);
      else this.sources.delete(key);
    } else if ((breakpointRequests as readonly string[]).includes(m.command)) {
      const kind = m.command as (typeof breakpointRequests)[number];
      if ((m.arguments?.breakpoints ?? []).length) this.otherBreakpoints.add(kind);
      else this.otherBreakpoints.delete(kind);
    } else if (resumes.has(m.command)) {
      this.pausedThread = undefined;
    }
    this.write(m);
  }

  /** Closes the connection to Delve (the editor's session is over). */
  dispose(): void {
    this.socket.destroy();
  }

  private fromDelve(m: DapMessage): void {
    if (m.type === 'response' && m.request_seq > ownSeqBase) {
      this.pending.get(m.request_seq)?.();
      this.pending.delete(m.request_seq);
      return;
    }
    if (m.type === 'event' && m.event === 'stopped') this.pausedThread = m.body?.threadId ?? 1;
    else if (m.type === 'event' && m.event === 'continued') this.pausedThread = undefined;
    else if (m.type === 'event' && (m.event === 'exited' || m.event === 'terminated')) this.pausedThread = undefined;
    this.o.send(m);
  }

  /** Breakpoints off, the program running, then the editor's disconnect, which must not end the program. */
  private async leave(disconnect: DapMessage): Promise<void> {
    if (!this.leaving) {
      this.leaving = true;
      const steps: Promise<void>[] = [];
      for (const source of this.sources.values())
        steps.push(this.request('setBreakpoints', { source, breakpoints: [] }));
      for (const kind of this.otherBreakpoints) steps.push(this.request(kind, { breakpoints: [] }));
      this.sources.clear();
      this.otherBreakpoints.clear();
      await Promise.all(steps);
      if (this.pausedThread !== undefined) {
        const threadId = this.pausedThread;
        this.pausedThread = undefined;
        await this.request('continue', { threadId });
      }
    }
    this.write({ ...disconnect, arguments: { ...disconnect.arguments, terminateDebuggee: false } });
  }

  /** Sends a request of the relay's own; resolves on its response (never passed to the editor), a timeout, or the end. */
  private request(command: string, args: object): Promise<void> {
    if (this.closed) return Promise.resolve();
    const seq = ++this.ownSeq;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        resolve();
      }, leaveStepMs);
      this.pending.set(seq, () => {
        clearTimeout(timer);
        resolve();
      });
      this.write({ seq, type: 'request', command, arguments: args });
    });
  }

  private write(m: object): void {
    if (!this.closed) this.socket.write(encodeDap(m));
  }
}
