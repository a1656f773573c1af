// A `devlane` session's adapter for Delve: the editor's DAP messages go to Delve through the tunnel
// by way of DelveRelay (src/debug/delve-relay.ts), which makes a disconnect leave the program running
// with no breakpoints left set. In-process (DebugAdapterInlineImplementation). When the connection
// ends without Delve saying so (the tunnel cut, dlv stopped by a restart), the session is told
// `terminated`, so it ends, and DebugReattach (reattach.ts) attaches again once Delve listens.
import * as vscode from 'vscode';
import type { DapMessage } from '../../debug/dap-stream';
import { DelveRelay } from '../../debug/delve-relay';

export class DelveRelayAdapter implements vscode.DebugAdapter {
  private readonly emitter = new vscode.EventEmitter<vscode.DebugProtocolMessage>();
  readonly onDidSendMessage = this.emitter.event;
  private readonly relay: DelveRelay;
  private terminated = false;

  constructor(port: number) {
    this.relay = new DelveRelay(port, {
      send: (m) => {
        if (m.type === 'event' && m.event === 'terminated') this.terminated = true;
        this.emitter.fire(m);
      },
      onClose: () => {
        if (!this.terminated) {
          this.terminated = true;
          this.emitter.fire({ seq: 0, type: 'event', event: 'terminated' } as vscode.DebugProtocolMessage);
        }
      },
    });
  }

  handleMessage(message: vscode.DebugProtocolMessage): void {
    this.relay.fromEditor(message as DapMessage);
  }

  dispose(): void {
    this.relay.dispose();
    this.emitter.dispose();
  }
}
