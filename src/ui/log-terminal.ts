// Streamed logs in a terminal tab, with a colour per pod/container. Closing the tab stops every
// stream behind it; the streams never outlive the tab.
import * as vscode from 'vscode';
import type { ClusterConnection } from '../cluster/api';
import { formatLine, formatNotice } from '../core/log-lines';
import type { LogSink } from '../logs/container-log';
import { type LogTarget, WorkloadLogs } from '../logs/workload-logs';
import { devPodLabels } from '../core/session/route-contract';
import { copyLogsTitle, type SessionRef } from '../sessionview/refs';
import { readConfig } from './vscode-utils';

/** The logs of a session's developer copy of `service` (every pod of it, replaced ones too). */
export function openCopyLogTerminal(conn: ClusterConnection, ref: SessionRef, service: string): vscode.Terminal {
  const matchLabels = devPodLabels(ref.session, service);
  return openLogTerminal(copyLogsTitle(service, ref), conn, {
    namespace: ref.namespace,
    pods: { selector: { matchLabels } },
    tailLines: readConfig('logs.tailLines') ?? 100,
  });
}

export function openLogTerminal(title: string, conn: ClusterConnection, target: LogTarget): vscode.Terminal {
  const write = new vscode.EventEmitter<string>();
  const close = new vscode.EventEmitter<void>();
  let logs: WorkloadLogs | undefined;
  const out = (text: string) => write.fire(`${text.replace(/\r?\n/g, '\r\n')}\r\n`);
  const sink: LogSink = {
    line: (source, text) => out(formatLine(source, text, true)),
    notice: (text) => out(formatNotice(text, true)),
  };
  const stop = () => {
    logs?.dispose();
    logs = undefined;
  };
  const pty: vscode.Pseudoterminal = {
    onDidWrite: write.event,
    onDidClose: close.event,
    open: () => {
      out(formatNotice(`streaming ${title} in context ${conn.context.name}; press Ctrl+C to stop`, true));
      logs = new WorkloadLogs(conn, target, sink);
      logs.start();
    },
    close: () => {
      stop();
      write.dispose();
      close.dispose();
    },
    handleInput: (data) => {
      if (data === '\x03') {
        stop();
        out(formatNotice('stopped', true));
        close.fire();
      }
    },
  };
  const terminal = vscode.window.createTerminal({
    name: `Logs: ${title}`,
    pty,
    iconPath: new vscode.ThemeIcon('output'),
  });
  terminal.show(true);
  return terminal;
}
