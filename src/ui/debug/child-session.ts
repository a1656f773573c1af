// The `devlane` session's own adapter for runtimes whose debugger the editor already speaks to
// (Node: js-debug's `pwa-node`). It runs in the extension host (DebugAdapterInlineImplementation),
// answers the few requests a parent session gets, and on `attach` starts the real debugger as a
// child session (lifecycleManagedByParent: stopping or restarting the parent stops the child, and
// compact: the call stack shows one session). The tunnel belongs to the parent (see factory.ts),
// so it lives exactly as long as the session the user started and stopped; when the child ends by
// itself, the parent ends too.
import * as vscode from 'vscode';

/* eslint-disable @typescript-eslint/no-explicit-any -- DAP messages are plain JSON */
type Request = { seq: number; type: 'request'; command: string; arguments?: any };

export class ChildSessionAdapter implements vscode.DebugAdapter {
  private readonly emitter = new vscode.EventEmitter<vscode.DebugProtocolMessage>();
  readonly onDidSendMessage = this.emitter.event;
  private seq = 1;
  private child: vscode.DebugSession | undefined;
  private ended = false;
  private childEnded = false;
  private stopping = false;
  private onChildEnded: () => void = () => {};
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly parent: vscode.DebugSession,
    private readonly childConfig: vscode.DebugConfiguration,
  ) {
    this.subscriptions.push(
      vscode.debug.onDidStartDebugSession((s) => {
        if (s.parentSession?.id === this.parent.id) this.child = s;
      }),
      vscode.debug.onDidTerminateDebugSession((s) => {
        if (s.parentSession?.id !== this.parent.id || s.id !== this.child?.id) return;
        this.childEnded = true;
        this.onChildEnded();
        // Ended by itself: the parent ends too. Ended by stopChild: the parent answers first.
        if (!this.stopping) this.end();
      }),
    );
  }

  handleMessage(message: vscode.DebugProtocolMessage): void {
    const m = message as Request;
    if (m.type !== 'request') return;
    switch (m.command) {
      case 'initialize':
        this.respond(m, { supportsConfigurationDoneRequest: true, supportsTerminateRequest: true });
        this.event('initialized');
        return;
      case 'attach':
      case 'launch':
        void this.startChild().then(
          () => this.respond(m),
          (err: Error) => this.fail(m, err.message),
        );
        return;
      case 'configurationDone':
      case 'setExceptionBreakpoints':
        return this.respond(m);
      case 'threads':
        return this.respond(m, { threads: [] });
      case 'disconnect':
      case 'terminate':
        // Stop the child first: the tunnel closes when this session ends, and a js-debug left
        // running would take that for a lost connection and keep reconnecting (restart: true),
        // so that one Stop would not be enough.
        void this.stopChild().then(() => {
          this.respond(m);
          this.end();
        });
        return;
      default:
        return this.fail(m, `${m.command} goes to the ${this.childConfig.type} session`);
    }
  }

  private async startChild(): Promise<void> {
    const ok = await vscode.debug.startDebugging(this.parent.workspaceFolder, this.childConfig, {
      parentSession: this.parent,
      lifecycleManagedByParent: true,
      consoleMode: vscode.DebugConsoleMode.MergeWithParent,
      compact: true,
    });
    if (!ok)
      throw new Error(
        `VS Code did not start the ${this.childConfig.type} debugger (is the built-in JavaScript Debugger extension enabled?)`,
      );
  }

  /**
   * Ends the child with a DAP `disconnect` sent to it directly: VS Code's own stop of a child whose
   * lifecycle the parent manages goes back to the parent. Waits for it to end, with a bound so that
   * a child that does not answer cannot keep the parent alive.
   */
  private async stopChild(): Promise<void> {
    const child = this.child;
    if (!child || this.childEnded) return;
    this.stopping = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ended = new Promise<void>((resolve) => {
      this.onChildEnded = resolve;
      timer = setTimeout(resolve, 5_000);
    });
    child.customRequest('disconnect', { restart: false, terminateDebuggee: false }).then(undefined, () => undefined);
    await ended;
    clearTimeout(timer);
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.event('terminated');
  }

  private respond(req: Request, body?: unknown): void {
    this.emitter.fire({
      seq: this.seq++,
      type: 'response',
      request_seq: req.seq,
      command: req.command,
      success: true,
      ...(body ? { body } : {}),
    } as vscode.DebugProtocolMessage);
  }

  private fail(req: Request, message: string): void {
    this.emitter.fire({
      seq: this.seq++,
      type: 'response',
      request_seq: req.seq,
      command: req.command,
      success: false,
      message,
    } as vscode.DebugProtocolMessage);
  }

  private event(event: string, body?: unknown): void {
    this.emitter.fire({
      seq: this.seq++,
      type: 'event',
      event,
      ...(body ? { body } : {}),
    } as vscode.DebugProtocolMessage);
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.emitter.dispose();
  }
}
