// The one "Devlane" log channel, wrapped once: everything below src/ui/ logs through the Logger
// interface, and every line is redacted before it reaches the channel.
import * as vscode from 'vscode';
import { errorText, type Logger, redact } from '../core/logger';

export class OutputLogger implements Logger, vscode.Disposable {
  readonly channel: vscode.LogOutputChannel;

  constructor(name = 'Devlane') {
    this.channel = vscode.window.createOutputChannel(name, { log: true });
  }

  trace(message: string): void {
    this.channel.trace(redact(message));
  }
  debug(message: string): void {
    this.channel.debug(redact(message));
  }
  info(message: string): void {
    this.channel.info(redact(message));
  }
  warn(message: string): void {
    this.channel.warn(redact(message));
  }
  error(message: string | Error): void {
    this.channel.error(redact(typeof message === 'string' ? message : errorText(message)));
  }

  show(): void {
    this.channel.show(true);
  }

  dispose(): void {
    this.channel.dispose();
  }
}
